-- AlterTable: the deliveries table is the send queue (see src/digest/README.md).
-- next_attempt_at: a temporary SMTP failure puts the row back to `planned` until then (backoff).
-- claimed_by/claimed_at: the worker that took the row in a batch; the claim expires, so a worker
-- that dies releases its batch without anyone's help.
-- sending_at: when the row went to `sending` (handed to SMTP); a row still `sending` long after
-- this belongs to a worker that died mid-send.
ALTER TABLE "deliveries"
  ADD COLUMN "next_attempt_at" TIMESTAMPTZ(3),
  ADD COLUMN "claimed_by" TEXT,
  ADD COLUMN "claimed_at" TIMESTAMPTZ(3),
  ADD COLUMN "sending_at" TIMESTAMPTZ(3);

-- CreateIndex: workers claim planned rows oldest first; the sweep looks for stale sending rows.
CREATE INDEX "deliveries_planned_queue_idx" ON "deliveries"("planned_at") WHERE "status" = 'planned';
CREATE INDEX "deliveries_sending_idx" ON "deliveries"("sending_at") WHERE "status" = 'sending';
