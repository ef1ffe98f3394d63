-- AlterTable: the day of the week a weekly reader gets their digest (0 = Sunday … 6 = Saturday)
ALTER TABLE "subscribers" ADD COLUMN "delivery_weekday" INTEGER NOT NULL DEFAULT 1;

-- CreateIndex: the scheduler's tick selects active readers by time zone and delivery hour
CREATE INDEX "subscribers_status_timezone_delivery_hour_idx" ON "subscribers"("status", "timezone", "delivery_hour");
