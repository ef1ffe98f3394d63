-- When a reader last became someone the scheduler may have to plan anew: inserted, or a change of
-- status, time zone, delivery hour, frequency, weekday or confirmation. The scheduler's tick looks
-- at slots that came since its last tick and at readers changed since then, instead of probing
-- every active reader's delivery (7 s of PostgreSQL's CPU per tick at 1,000,000 readers). A
-- trigger keeps it, so no code path (Prisma, raw SQL, psql) can change a schedule unseen. Existing
-- rows count as changed now: the first ticks after this migration look at every reader once.
ALTER TABLE "subscribers" ADD COLUMN "schedule_changed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now();
CREATE INDEX "subscribers_schedule_changed_at_idx" ON "subscribers" ("schedule_changed_at");

CREATE FUNCTION "subscribers_schedule_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.schedule_changed_at := now();
  RETURN NEW;
END
$$;

CREATE TRIGGER "subscribers_schedule_changed"
  BEFORE UPDATE OF status, timezone, delivery_hour, frequency, delivery_weekday, confirmed_at
  ON "subscribers"
  FOR EACH ROW
  WHEN (OLD.status IS DISTINCT FROM NEW.status
     OR OLD.timezone IS DISTINCT FROM NEW.timezone
     OR OLD.delivery_hour IS DISTINCT FROM NEW.delivery_hour
     OR OLD.frequency IS DISTINCT FROM NEW.frequency
     OR OLD.delivery_weekday IS DISTINCT FROM NEW.delivery_weekday
     OR OLD.confirmed_at IS DISTINCT FROM NEW.confirmed_at)
  EXECUTE FUNCTION "subscribers_schedule_changed"();
