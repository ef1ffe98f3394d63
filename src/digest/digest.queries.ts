import { isoDate } from '../dates.ts';
import type { Db } from '../db.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { InterestKind, SubscriberStatus } from '../generated/prisma/enums.ts';
import type { SlotGroup } from './schedule.ts';

const READER_SELECT = { id: true, email: true, maxPapers: true, tokenVersion: true } as const;

/** A reader who is due (or missed) for the digest of the day they have no delivery for yet, with their preferences. */
export interface ScheduledReader {
  id: string;
  email: string;
  maxPapers: number;
  tokenVersion: number;
  topics: { topic: { slug: string; name: string; queryTerms: string[] } }[];
  interests: { kind: InterestKind; value: string }[];
}

/**
 * Adds their topics and interests to `readers` in one statement, as JSON text (parsed natively):
 * Prisma's nested selects cost several queries and an object mapping per batch, the planner's
 * largest cost after ranking.
 */
async function withPreferences(
  db: Db,
  readers: Omit<ScheduledReader, 'topics' | 'interests'>[],
): Promise<ScheduledReader[]> {
  if (readers.length === 0) return [];
  const rows = await db.$queryRaw<{ id: string; topics: string | null; interests: string | null }[]>`
    SELECT s.id,
      (SELECT json_agg(json_build_object('topic', json_build_object('slug', t.slug, 'name', t.name,
                'queryTerms', t.query_terms)) ORDER BY t.slug)::text
         FROM subscriber_topics st JOIN topics t ON t.slug = st.topic_slug
        WHERE st.subscriber_id = s.id) AS topics,
      (SELECT json_agg(json_build_object('kind', i.kind, 'value', i.value) ORDER BY i.kind, i.value)::text
         FROM interests i WHERE i.subscriber_id = s.id) AS interests
    FROM unnest(${readers.map((reader) => reader.id)}::uuid[]) AS s(id)`;
  const preferences = new Map(rows.map((row) => [row.id, row]));
  return readers.map((reader) => {
    const row = preferences.get(reader.id);
    return {
      ...reader,
      topics: row?.topics ? JSON.parse(row.topics) : [],
      interests: row?.interests ? JSON.parse(row.interests) : [],
    };
  });
}

/** Active readers with no delivery yet for `digestDate`, in id order after `afterId`, with their preferences. */
export async function findDueSubscribers(
  db: Db,
  digestDate: Date,
  afterId: string | null,
  take: number,
): Promise<ScheduledReader[]> {
  const readers = await db.subscriber.findMany({
    where: {
      status: 'active',
      deliveries: { none: { digestDate } },
      ...(afterId ? { id: { gt: afterId } } : {}),
    },
    orderBy: { id: 'asc' },
    take,
    select: READER_SELECT,
  });
  return withPreferences(db, readers);
}

/** The time zones of active readers (a few hundred at most: IANA has no more). */
export async function findActiveTimezones(db: Db): Promise<string[]> {
  const rows = await db.$queryRaw<{ timezone: string }[]>`
    SELECT DISTINCT timezone FROM subscribers WHERE status = 'active'::subscriber_status`;
  return rows.map((row) => row.timezone);
}

/**
 * The active readers of `timezone` whom `group` describes (their hour and frequency fall in it) and
 * who have no delivery for its local date. A missed slot only counts for readers confirmed before it.
 */
function slotGroupWhere(timezone: string, group: SlotGroup): Prisma.SubscriberWhereInput {
  const digestDate = new Date(`${group.localDate}T00:00:00Z`);
  return {
    status: 'active',
    timezone,
    deliveries: { none: { digestDate } },
    OR: group.hours.map((hour) => ({
      deliveryHour: hour.deliveryHour,
      AND: [
        {
          OR: [
            ...(hour.daily ? [{ frequency: 'daily' as const }] : []),
            ...(hour.weekdays ? [{ frequency: 'weekdays' as const }] : []),
            ...(hour.weeklyOn.length > 0
              ? [{ frequency: 'weekly' as const, deliveryWeekday: { in: hour.weeklyOn } }]
              : []),
          ],
        },
        group.status === 'missed'
          ? { OR: [{ confirmedAt: null }, { confirmedAt: { lt: hour.deliverAt } }] }
          : {},
      ],
    })),
  };
}

/** Whether any reader of `timezone` falls in any of `groups`: one cheap probe before the per-group queries. */
export async function hasScheduledSubscriber(
  db: Db,
  timezone: string,
  groups: SlotGroup[],
): Promise<boolean> {
  const found = await db.subscriber.findFirst({
    where: { OR: groups.map((group) => slotGroupWhere(timezone, group)) },
    select: { id: true },
  });
  return found !== null;
}

/** Readers of `timezone` in `group` with no delivery for its date, in id order after `afterId`, with their preferences. */
export async function findScheduledSubscribers(
  db: Db,
  timezone: string,
  group: SlotGroup,
  afterId: string | null,
  take: number,
): Promise<ScheduledReader[]> {
  const where = slotGroupWhere(timezone, group);
  const readers = await db.subscriber.findMany({
    where: afterId ? { AND: [where, { id: { gt: afterId } }] } : where,
    orderBy: { id: 'asc' },
    take,
    select: READER_SELECT,
  });
  return withPreferences(db, readers);
}

/** Records `skipped` deliveries with `reason` for readers who missed `digestDate`; existing rows are kept. */
export async function insertMissedDeliveries(
  db: Db,
  subscriberIds: string[],
  digestDate: Date,
  reason: string,
): Promise<number> {
  const result = await db.delivery.createMany({
    data: subscriberIds.map((subscriberId) => ({
      subscriberId,
      digestDate,
      status: 'skipped' as const,
      lastError: reason,
    })),
    skipDuplicates: true,
  });
  return result.count;
}

/**
 * For each of `subscriberIds`, which of `papers` they were already sent. A paper can only be in a
 * delivery dated at most two days before it was first seen (a digest date is the reader's local
 * date; a manual run for a date uses papers seen by its end), so only deliveries from then on are
 * read: the lookup costs the same after a year of digests as after a week.
 */
export async function findAlreadySent(
  db: Db,
  subscriberIds: string[],
  papers: { id: string; firstSeenAt: Date }[],
): Promise<Map<string, Set<string>>> {
  const sent = new Map<string, Set<string>>();
  if (papers.length === 0 || subscriberIds.length === 0) return sent;
  const firstSeen = Math.min(...papers.map((paper) => paper.firstSeenAt.getTime()));
  const since = new Date(firstSeen - 2 * 86_400_000);
  // The deliveries first, as an array, so the planner reads delivery_papers by delivery_id.
  const rows = await db.$queryRaw<{ subscriber_id: string; paper_id: string }[]>`
    SELECT subscriber_id, paper_id FROM delivery_papers
    WHERE delivery_id = ANY(ARRAY(
        SELECT id FROM deliveries
        WHERE subscriber_id = ANY(${subscriberIds}::uuid[]) AND digest_date >= ${isoDate(since)}::date))
      AND paper_id = ANY(${papers.map((paper) => paper.id)}::text[])`;
  for (const row of rows) {
    const set = sent.get(row.subscriber_id) ?? new Set<string>();
    set.add(row.paper_id);
    sent.set(row.subscriber_id, set);
  }
  return sent;
}

/** A planned digest for one reader: the papers in rank order with their one-line reasons. */
export interface PlannedDigest {
  subscriberId: string;
  digestDate: Date;
  /** When it was planned (the run's clock): the age that expires an unsent row. */
  plannedAt: Date;
  papers: { paperId: string; why: string }[];
}

/**
 * Records the plans of a batch of readers (one date each) in one statement: one `deliveries` row
 * each (`planned`, or `skipped` with `no matching papers` when a plan has no papers) and its
 * `delivery_papers`. A reader who has a row for that date already (another planner got there
 * first) is left alone: the unique (subscriber, date) key is the guard. Returns how many rows
 * were new.
 */
export async function insertPlannedDeliveries(db: Db, plans: PlannedDigest[]): Promise<number> {
  if (plans.length === 0) return 0;
  // The batch goes as one JSON text parameter, parsed by Postgres (on its own core): array
  // parameters cost the planner's thread a per-element conversion and escaping of every `why`.
  const batch = JSON.stringify(
    plans.map((plan) => ({
      subscriber_id: plan.subscriberId,
      digest_date: isoDate(plan.digestDate),
      planned_at: plan.plannedAt.toISOString(),
      papers: plan.papers.map((paper) => [paper.paperId, paper.why]),
    })),
  );
  // One statement, so one transaction and one round trip: the rows, then the papers of the new ones.
  const inserted = await db.$queryRaw<{ count: bigint }[]>`
    WITH plan AS (
      SELECT * FROM json_to_recordset(${batch}::json)
        AS t(subscriber_id uuid, digest_date date, planned_at timestamptz, papers json)
    ), created AS (
      INSERT INTO deliveries (subscriber_id, digest_date, status, last_error, planned_at)
      SELECT subscriber_id, digest_date,
             CASE WHEN json_array_length(papers) = 0 THEN 'skipped' ELSE 'planned' END::delivery_status,
             CASE WHEN json_array_length(papers) = 0 THEN 'no matching papers' END,
             planned_at
      FROM plan
      ON CONFLICT (subscriber_id, digest_date) DO NOTHING
      RETURNING id, subscriber_id
    ), listed AS (
      INSERT INTO delivery_papers (subscriber_id, paper_id, delivery_id, position, why)
      SELECT created.subscriber_id, paper.value->>0, created.id, paper.position - 1, paper.value->>1
      FROM created
      JOIN plan ON plan.subscriber_id = created.subscriber_id
      CROSS JOIN LATERAL json_array_elements(plan.papers) WITH ORDINALITY AS paper(value, position)
      -- A paper another planner sent this reader meanwhile is left out, never sent twice.
      ON CONFLICT (subscriber_id, paper_id) DO NOTHING
    )
    SELECT count(*) AS count FROM created`;
  return Number(inserted[0]?.count ?? 0);
}

/** A delivery as rendering needs it. */
export interface RenderableDelivery {
  id: string;
  digestDate: Date;
  sentAt: Date | null;
  subscriber: { id: string; email: string; status: SubscriberStatus; tokenVersion: number };
  /** In the planned order. */
  papers: { paperId: string; why: string }[];
}

/**
 * Deliveries with everything needed to render and address them (a worker's claimed batch), in
 * one statement: Prisma's nested read of the same took ~12 ms of the worker's CPU per 100 rows.
 */
export async function loadDeliveries(db: Db, ids: string[]): Promise<RenderableDelivery[]> {
  const rows = await db.$queryRaw<
    {
      id: string;
      digest_date: Date;
      sent_at: Date | null;
      subscriber_id: string;
      email: string;
      status: SubscriberStatus;
      token_version: number;
      papers: string | null;
    }[]
  >`
    SELECT d.id, d.digest_date, d.sent_at, s.id AS subscriber_id, s.email, s.status::text AS status,
      s.token_version, p.papers
    FROM deliveries d
    JOIN subscribers s ON s.id = d.subscriber_id
    -- As JSON text: parsing it is native, where text arrays are parsed a character at a time.
    CROSS JOIN LATERAL (
      SELECT json_agg(json_build_object('paperId', x.paper_id, 'why', x.why) ORDER BY x.position)::text AS papers
      FROM delivery_papers x WHERE x.delivery_id = d.id) p
    WHERE d.id = ANY(${ids}::uuid[])
    ORDER BY d.planned_at, d.id`;
  return rows.map((row) => ({
    id: row.id,
    digestDate: row.digest_date,
    sentAt: row.sent_at,
    subscriber: {
      id: row.subscriber_id,
      email: row.email,
      status: row.status,
      tokenVersion: row.token_version,
    },
    papers: row.papers ? (JSON.parse(row.papers) as RenderableDelivery['papers']) : [],
  }));
}

/** One delivery with everything needed to render it (the view-in-browser page), or null. */
export async function loadDelivery(db: Db, id: string): Promise<RenderableDelivery | null> {
  return (await loadDeliveries(db, [id]))[0] ?? null;
}

/** A reader's most recent sent deliveries with their papers in order, newest first (for their private feed). */
export async function findRecentSentDeliveries(db: Db, subscriberId: string, take: number) {
  return db.delivery.findMany({
    where: { subscriberId, status: 'sent' },
    orderBy: { digestDate: 'desc' },
    take,
    select: {
      id: true,
      digestDate: true,
      sentAt: true,
      papers: { orderBy: { position: 'asc' }, select: { paperId: true, why: true } },
    },
  });
}
