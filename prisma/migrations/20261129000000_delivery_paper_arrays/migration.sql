-- A delivery's papers move from one `delivery_papers` row each to two arrays on the delivery:
-- paper ids in rank order and each paper's one-line reason. Planning wrote ~15 index and
-- foreign-key checked rows per reader, the largest cost of planning a million readers; the arrays
-- are written with the delivery row itself. Never-twice is kept by the planner's write (it locks
-- the batch's readers and leaves out any paper one of their deliveries already holds; see
-- insertPlannedDeliveries), where it used to be the (subscriber_id, paper_id) key.
ALTER TABLE "deliveries"
  ADD COLUMN "paper_ids" TEXT[] NOT NULL DEFAULT '{}',
  ADD COLUMN "paper_whys" TEXT[] NOT NULL DEFAULT '{}';

UPDATE "deliveries" d
SET "paper_ids" = p.ids, "paper_whys" = p.whys
FROM (
  SELECT "delivery_id", array_agg("paper_id" ORDER BY "position") AS ids,
         array_agg("why" ORDER BY "position") AS whys
  FROM "delivery_papers" GROUP BY "delivery_id"
) p
WHERE p."delivery_id" = d."id";

-- One reason per paper, always.
ALTER TABLE "deliveries"
  ADD CONSTRAINT "deliveries_paper_whys_match" CHECK (cardinality("paper_ids") = cardinality("paper_whys"));

DROP TABLE "delivery_papers";
