import { isoDate } from '../dates.ts';
import { type Db, type PrismaClient, rawSql } from '../db.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { suppressionHash } from '../subscribers/subscribers.queries.ts';

/*
 * The deliveries table is the send queue. A worker claims a batch of `planned` rows (a lease that
 * expires), moves each row to `sending` just before SMTP (re-checking the reader in the same
 * statement), and ends it `sent`, `failed`, `bounced` or `skipped`, or puts it back to `planned`
 * with a time for the next attempt. See src/digest/README.md.
 */

/** Claims up to `limit` due planned rows (of `dates`, when given) for `workerId`; returns their ids. */
export async function claimBatch(
  db: PrismaClient,
  claim: { workerId: string; now: Date; leaseMs: number; limit: number; dates?: Date[] | undefined },
): Promise<string[]> {
  const leaseExpired = new Date(claim.now.getTime() - claim.leaseMs);
  const rows = await rawSql(db).query<{ id: string }>(
    `UPDATE deliveries SET claimed_by = $1, claimed_at = $2::timestamptz
     WHERE id IN (
       SELECT id FROM deliveries
       WHERE status = 'planned'
         AND (next_attempt_at IS NULL OR next_attempt_at <= $2::timestamptz)
         AND (claimed_by IS NULL OR claimed_at < $3::timestamptz)
         AND ($4::date[] IS NULL OR digest_date = ANY($4::date[]))
       ORDER BY planned_at
       LIMIT $5
       FOR UPDATE SKIP LOCKED)
     RETURNING id`,
    [
      claim.workerId,
      claim.now.toISOString(),
      leaseExpired.toISOString(),
      claim.dates?.map((date) => isoDate(date)) ?? null,
      claim.limit,
    ],
  );
  return rows.map((row) => row.id);
}

/** A message the relay accepted, not yet recorded `sent`. */
export interface AcceptedMessage {
  id: string;
  messageId: string;
  at: Date;
}

/**
 * Records the relay's acceptance of `sent` and moves the claimed rows `next` to `sending`, each only
 * if, at this moment, its reader is still active and not on the suppression list: the last check
 * before SMTP, in the same statement as the state change. One statement, so one round trip and one
 * commit, carries the transitions of several connections. Returns the attempts so far (this one
 * included) of each `next` row that may be sent; a row missing from the map must not be sent (see
 * `skipUnsendable`).
 */
export async function recordTransitions(
  db: PrismaClient,
  sent: AcceptedMessage[],
  next: { ids: string[]; workerId: string; now: Date },
): Promise<Map<string, number>> {
  const rows = await rawSql(db).query<{ id: string; attempts: number }>(
    `WITH done AS (
       UPDATE deliveries d SET status = 'sent', sent_at = v.sent_at, message_id = v.message_id,
         last_error = NULL, claimed_by = NULL, next_attempt_at = NULL
       FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS v(id, message_id, sent_at)
       WHERE d.id = v.id AND d.status = 'sending')
     UPDATE deliveries d
     SET status = 'sending', sending_at = $4::timestamptz, attempts = d.attempts + 1
     FROM subscribers s
     WHERE d.id = ANY($5::uuid[]) AND d.status = 'planned' AND d.claimed_by = $6
       AND s.id = d.subscriber_id AND s.status = 'active'
       AND NOT EXISTS (
         SELECT 1 FROM suppressions x WHERE x.email_hash = encode(sha256(convert_to(s.email, 'UTF8')), 'hex'))
     RETURNING d.id, d.attempts`,
    [
      sent.map((m) => m.id),
      sent.map((m) => m.messageId),
      sent.map((m) => m.at.toISOString()),
      next.now.toISOString(),
      next.ids,
      next.workerId,
    ],
  );
  return new Map(rows.map((row) => [row.id, row.attempts]));
}

/**
 * Ends a claimed row that `recordTransitions` did not move to `sending`: `skipped`, with whether the address is suppressed
 * or the reader's status. Returns null when the row was no longer ours (an unsubscribe already
 * ended it, or another worker's lease took over).
 */
export async function skipUnsendable(
  db: Db,
  id: string,
  workerId: string,
  reader: { email: string },
): Promise<'suppressed' | 'skipped' | null> {
  const suppressed =
    (await db.suppression.count({ where: { emailHash: suppressionHash(reader.email) } })) > 0;
  const current = await db.delivery.findUnique({
    where: { id },
    select: { subscriber: { select: { status: true } } },
  });
  const reason = suppressed ? 'suppressed' : `reader is ${current?.subscriber.status ?? 'gone'}`;
  if (!(await skipClaimed(db, id, workerId, reason))) return null;
  return suppressed ? 'suppressed' : 'skipped';
}

/** Ends a row this worker holds (still `planned`) as `skipped` with `reason`; false if it is no longer ours. */
export async function skipClaimed(db: Db, id: string, workerId: string, reason: string): Promise<boolean> {
  const result = await db.delivery.updateMany({
    where: { id, status: 'planned', claimedBy: workerId },
    data: { status: 'skipped', lastError: reason, claimedBy: null },
  });
  return result.count === 1;
}

/** A temporary failure with attempts left: `planned` again, due at `nextAttemptAt`, claim released. */
export async function scheduleRetry(db: Db, id: string, error: string, nextAttemptAt: Date): Promise<void> {
  await db.$executeRaw`
    UPDATE deliveries SET status = 'planned'::delivery_status, next_attempt_at = ${nextAttemptAt},
      last_error = ${error}, claimed_by = NULL, sending_at = NULL
    WHERE id = ${id}::uuid AND status = 'sending'::delivery_status`;
}

/** Gives a row back untried (the breaker opened before its turn): no attempt is counted. */
export async function giveBack(db: Db, id: string): Promise<void> {
  await db.$executeRaw`
    UPDATE deliveries SET status = 'planned'::delivery_status, attempts = GREATEST(attempts - 1, 0),
      claimed_by = NULL, sending_at = NULL
    WHERE id = ${id}::uuid AND status = 'sending'::delivery_status`;
}

/** Out of attempts, or unrenderable: `failed` for good. */
export async function markFailed(db: Db, id: string, error: string): Promise<void> {
  await db.$executeRaw`
    UPDATE deliveries SET status = 'failed'::delivery_status, last_error = ${error}, claimed_by = NULL
    WHERE id = ${id}::uuid AND status = 'sending'::delivery_status`;
}

/**
 * A hard bounce: the row is `bounced`, the address goes on the suppression list, and the reader
 * becomes `bounced`, so nothing else is sent to it (their other planned rows are skipped when claimed).
 */
export async function markBounced(
  db: Db,
  delivery: { id: string; subscriberId: string; email: string },
  error: string,
): Promise<void> {
  await db.$transaction([
    db.$executeRaw`
      UPDATE deliveries SET status = 'bounced'::delivery_status, last_error = ${error}, claimed_by = NULL
      WHERE id = ${delivery.id}::uuid AND status = 'sending'::delivery_status`,
    db.$executeRaw`
      INSERT INTO suppressions (email_hash, reason) VALUES (${suppressionHash(delivery.email)}, ${`hard bounce: ${error}`.slice(0, 500)})
      ON CONFLICT (email_hash) DO NOTHING`,
    db.$executeRaw`
      UPDATE subscribers SET status = 'bounced'::subscriber_status, updated_at = now()
      WHERE id = ${delivery.subscriberId}::uuid AND status = 'active'::subscriber_status`,
  ]);
}

/**
 * Lets go of this worker's claimed rows it did not get to (shutdown, breaker open): all of them, or
 * only `ids` when another batch is still claimed (the one claimed ahead).
 */
export async function releaseClaims(db: Db, workerId: string, ids?: string[]): Promise<number> {
  return db.$executeRaw`
    UPDATE deliveries SET claimed_by = NULL
    WHERE claimed_by = ${workerId} AND status = 'planned'::delivery_status
      ${ids ? Prisma.sql`AND id = ANY(${ids}::uuid[])` : Prisma.empty}`;
}

/** Planned rows still unsent `expireAfterMs` after planning become `skipped` (not sent in time). */
export async function expireStale(db: Db, now: Date, expireAfterMs: number): Promise<number> {
  const before = new Date(now.getTime() - expireAfterMs);
  const hours = Math.round(expireAfterMs / 3_600_000);
  return db.$executeRaw`
    UPDATE deliveries SET status = 'skipped'::delivery_status, claimed_by = NULL,
      last_error = ${`expired: not sent within ${hours} hours of planning`}
    WHERE status = 'planned'::delivery_status AND planned_at < ${before}`;
}

/**
 * Rows left `sending` by a worker that died between handing a message to SMTP and recording the
 * outcome: the relay may or may not have taken it. Policy: send again, with the same Message-ID
 * (README "The window SMTP leaves open"). Returns how many rows were put back.
 */
export async function requeueInterrupted(db: Db, now: Date, timeoutMs: number): Promise<number> {
  const before = new Date(now.getTime() - timeoutMs);
  return db.$executeRaw`
    UPDATE deliveries SET status = 'planned'::delivery_status, claimed_by = NULL, sending_at = NULL,
      next_attempt_at = NULL,
      last_error = 'interrupted while sending; sent again with the same Message-ID'
    WHERE status = 'sending'::delivery_status AND sending_at < ${before}`;
}
