-- The scheduler reads a slot's readers a batch at a time, in id order after the last one read, one
-- delivery hour at a time: with the id last in the key, each batch is a range of the index, where
-- the old key (status, timezone, delivery_hour) made every batch fetch and sort all the slot's
-- remaining readers (quadratic in the readers of one hour). The new key serves the old key's
-- queries too, so it replaces it.
CREATE INDEX "subscribers_status_timezone_delivery_hour_id_idx"
  ON "subscribers" ("status", "timezone", "delivery_hour", "id");
DROP INDEX "subscribers_status_timezone_delivery_hour_idx";
