import { isoDate } from '../dates.ts';
import { type Db, type PrismaClient, rawSql } from '../db.ts';
import type { InterestKind, SubscriberStatus } from '../generated/prisma/enums.ts';
import type { SlotGroup, SlotHour } from './schedule.ts';

/** A reader who is due (or missed) for the digest of the day they have no delivery for yet, with their preferences. */
export interface ScheduledReader {
  id: string;
  email: string;
  maxPapers: number;
  /** The slugs of their topics, in slug order (the run's `findRankingTopics` defines them). */
  topicSlugs: string[];
  interests: { kind: InterestKind; value: string }[];
}

/**
 * Each reader's topic slugs (comma-separated: slugs have no commas) and interests (a JSON array of
 * [kind, value] pairs): the select list of the reader queries. Topics' definitions are read once
 * per run instead: built per reader, their JSON was half of the statement's time.
 */
const PREFERENCES = `
  (SELECT string_agg(st.topic_slug, ',' ORDER BY st.topic_slug)
     FROM subscriber_topics st WHERE st.subscriber_id = s.id) AS topics,
  (SELECT json_agg(json_build_array(i.kind, i.value) ORDER BY i.kind, i.value)::text
     FROM interests i WHERE i.subscriber_id = s.id) AS interests`;

interface ReaderRow {
  id: string;
  email: string;
  max_papers: number;
  topics: string | null;
  interests: string | null;
}

/** Readers (`s`) with their preferences, as `scheduledReader` reads them; the caller adds the conditions. */
const READER_COLUMNS = `SELECT s.id, s.email, s.max_papers, ${PREFERENCES} FROM subscribers s`;

/**
 * No delivery for `dateParam` yet. OFFSET 0 keeps the check a probe of the (subscriber, date) key
 * per reader: as an anti-join, PostgreSQL merged each batch with every delivery of the date so far
 * (the whole run's rows before the batch: quadratic in the readers, 12 ms per batch at 10,000).
 */
const NO_DELIVERY_YET = (dateParam: string) => `NOT EXISTS (
  SELECT 1 FROM deliveries d WHERE d.subscriber_id = s.id AND d.digest_date = ${dateParam}::date OFFSET 0)`;

function scheduledReader(row: ReaderRow): ScheduledReader {
  const interests: [InterestKind, string][] = row.interests ? JSON.parse(row.interests) : [];
  return {
    id: row.id,
    email: row.email,
    maxPapers: row.max_papers,
    topicSlugs: row.topics ? row.topics.split(',') : [],
    interests: interests.map(([kind, value]) => ({ kind, value })),
  };
}

/** Active readers with no delivery yet for `digestDate`, in id order after `afterId`, with their preferences. */
export async function findDueSubscribers(
  db: PrismaClient,
  digestDate: Date,
  afterId: string | null,
  take: number,
): Promise<ScheduledReader[]> {
  const rows = await rawSql(db).query<ReaderRow>(
    `${READER_COLUMNS}
     WHERE s.status = 'active' AND ${NO_DELIVERY_YET('$1')} AND ($2::uuid IS NULL OR s.id > $2::uuid)
     ORDER BY s.id LIMIT $3`,
    [isoDate(digestDate), afterId, take],
  );
  return rows.map(scheduledReader);
}

/**
 * The time zones of active readers (a few hundred at most: IANA has no more). Read as a loose index
 * scan, one probe of the (status, timezone, …) index per zone: `SELECT DISTINCT` read every active
 * reader (280 ms, three processes, at 1,000,000 readers), on every tick.
 */
export async function findActiveTimezones(db: Db): Promise<string[]> {
  const rows = await db.$queryRaw<{ timezone: string }[]>`
    WITH RECURSIVE zone AS (
      (SELECT timezone FROM subscribers WHERE status = 'active'::subscriber_status ORDER BY timezone LIMIT 1)
      UNION ALL
      SELECT (SELECT s.timezone FROM subscribers s
              WHERE s.status = 'active'::subscriber_status AND s.timezone > zone.timezone
              ORDER BY s.timezone LIMIT 1)
      FROM zone WHERE zone.timezone IS NOT NULL)
    SELECT timezone FROM zone WHERE timezone IS NOT NULL`;
  return rows.map((row) => row.timezone);
}

/** The time zones of active readers whose schedule changed at or after `since` (see `Slot.changedSince`). */
export async function findChangedTimezones(db: Db, since: Date): Promise<Set<string>> {
  const rows = await db.$queryRaw<{ timezone: string }[]>`
    SELECT DISTINCT timezone FROM subscribers
    WHERE schedule_changed_at >= ${since} AND status = 'active'::subscriber_status`;
  return new Set(rows.map((row) => row.timezone));
}

/** The database's clock: the one `schedule_changed_at` is kept by. */
export async function databaseNow(db: Db): Promise<Date> {
  const [row] = await db.$queryRaw<{ now: Date }[]>`SELECT now() AS now`;
  if (!row) throw new Error('SELECT now() returned no row');
  return row.now;
}

/** Appends `value` to `params` and returns its placeholder. */
function param(params: unknown[], value: unknown): string {
  params.push(value);
  return `$${params.length}`;
}

/**
 * The readers of one delivery hour of a slot group in a time zone; with `changedSince`, only those
 * whose schedule changed at or after it (`subscribers.schedule_changed_at`, kept by a trigger).
 */
export interface Slot {
  timezone: string;
  group: SlotGroup;
  hour: SlotHour;
  changedSince?: Date | undefined;
}

/**
 * The condition on `s` (subscribers) that selects the active readers of `timezone` whose hour and
 * frequency fall in `hours` of `group`, and who have no delivery for its local date. A missed slot
 * only counts for readers confirmed before it. Parameters are appended to `params`.
 */
function slotCondition(timezone: string, group: SlotGroup, hours: SlotHour[], params: unknown[]): string {
  const byHour = hours.map((hour) => {
    const frequencies = [
      ...(hour.daily ? [`s.frequency = 'daily'`] : []),
      ...(hour.weekdays ? [`s.frequency = 'weekdays'`] : []),
      ...(hour.weeklyOn.length > 0
        ? [`(s.frequency = 'weekly' AND s.delivery_weekday = ANY(${param(params, hour.weeklyOn)}::int[]))`]
        : []),
    ];
    const confirmed =
      group.status === 'missed'
        ? ` AND (s.confirmed_at IS NULL OR s.confirmed_at < ${param(params, hour.deliverAt.toISOString())}::timestamptz)`
        : '';
    return `(s.delivery_hour = ${param(params, hour.deliveryHour)} AND (${frequencies.join(' OR ') || 'false'})${confirmed})`;
  });
  return `(s.status = 'active' AND s.timezone = ${param(params, timezone)} AND (${byHour.join(' OR ') || 'false'})
    AND ${NO_DELIVERY_YET(param(params, group.localDate))})`;
}

/**
 * `true`, or with `since` the condition that the reader's schedule changed at or after it: ANDed
 * outside the slot conditions, so PostgreSQL can read the few changed readers from their index.
 */
function changedCondition(since: Date | undefined, params: unknown[]): string {
  return since ? `s.schedule_changed_at >= ${param(params, since.toISOString())}::timestamptz` : 'true';
}

/**
 * Whether any reader of `timezone` falls in any of `groups` (changed at or after `changedSince`,
 * when given): one cheap probe before the per-group queries.
 */
export async function hasScheduledSubscriber(
  db: PrismaClient,
  timezone: string,
  groups: SlotGroup[],
  changedSince?: Date,
): Promise<boolean> {
  if (groups.length === 0) return false;
  const params: unknown[] = [];
  const changed = changedCondition(changedSince, params);
  const conditions = groups.map((group) => slotCondition(timezone, group, group.hours, params));
  const rows = await rawSql(db).query(
    `SELECT 1 FROM subscribers s WHERE ${changed} AND (${conditions.join(' OR ')}) LIMIT 1`,
    params,
  );
  return rows.length > 0;
}

/**
 * The readers of `slot` with no delivery for its date, in id order after `afterId`, with their
 * preferences: one hour at a time, so each batch is a range of the (status, timezone,
 * delivery_hour, id) index.
 */
export async function findScheduledSubscribers(
  db: PrismaClient,
  slot: Slot,
  page: { afterId: string | null; take: number },
): Promise<ScheduledReader[]> {
  const params: unknown[] = [];
  const rows = await rawSql(db).query<ReaderRow>(`${READER_COLUMNS} ${slotPage(slot, page, params)}`, params);
  return rows.map(scheduledReader);
}

/**
 * `WHERE … LIMIT` for the page of `slot`'s readers (`s`) after `page.afterId` in id order, at most
 * `page.take`; parameters are appended to `params`.
 */
function slotPage(slot: Slot, page: { afterId: string | null; take: number }, params: unknown[]): string {
  const condition = slotCondition(slot.timezone, slot.group, [slot.hour], params);
  const changed = changedCondition(slot.changedSince, params);
  const after = param(params, page.afterId);
  return `WHERE ${condition} AND ${changed} AND (${after}::uuid IS NULL OR s.id > ${after}::uuid)
    ORDER BY s.id LIMIT ${param(params, page.take)}`;
}

/**
 * Records `skipped` deliveries with `reason` for up to `take` readers of the missed `slot`, in id
 * order after `afterId` (rows that exist are kept); on a dry run it only counts them. One
 * statement: the readers never leave the database, where reading them with their preferences and
 * writing the rows back through Prisma's createMany cost the scheduler ~0.4 ms of CPU per reader
 * (an outage, or 1,000,000 readers imported, meant minutes of it). Returns how many readers the
 * batch held and the last one's id, the next batch's `afterId`.
 */
export async function recordMissedDeliveries(
  db: PrismaClient,
  slot: Slot,
  reason: string,
  page: { afterId: string | null; take: number },
  dryRun: boolean,
): Promise<{ readers: number; lastId: string | null }> {
  const params: unknown[] = [slot.group.localDate, reason, !dryRun];
  const rows = await rawSql(db).query<{ readers: number; last_id: string | null }>(
    `WITH batch AS (
       SELECT s.id FROM subscribers s ${slotPage(slot, page, params)}
     ), created AS (
       INSERT INTO deliveries (subscriber_id, digest_date, status, last_error)
       SELECT id, $1::date, 'skipped', $2 FROM batch WHERE $3::boolean
       ON CONFLICT (subscriber_id, digest_date) DO NOTHING
     )
     SELECT (SELECT count(*)::int FROM batch) AS readers,
            (SELECT id FROM batch ORDER BY id DESC LIMIT 1) AS last_id`,
    params,
  );
  return { readers: rows[0]?.readers ?? 0, lastId: rows[0]?.last_id ?? null };
}

/**
 * The earliest digest date (ISO) a delivery holding any of `papers` can have, or null for no
 * papers. A paper can only be in a delivery dated at most two days before it was first seen (a
 * digest date is the reader's local date; a manual run for a date uses papers seen by its end),
 * so looking for papers sent before reads only deliveries from then on: the lookup costs the same
 * after a year of digests as after a week.
 */
export function sentSince(papers: { firstSeenAt: Date }[]): string | null {
  if (papers.length === 0) return null;
  const firstSeen = Math.min(...papers.map((paper) => paper.firstSeenAt.getTime()));
  return isoDate(new Date(firstSeen - 2 * 86_400_000));
}

/**
 * A subquery of the papers (`paper_id`) that the deliveries of reader `readerId` (an SQL
 * expression) dated `sinceParam` or later hold: a probe of the (subscriber, date) key per reader,
 * whatever the statistics say (OFFSET 0 keeps it out of a join). Left to choose how to join
 * readers with their deliveries, PostgreSQL went by statistics older than the day's rows: it read
 * every delivery of the date and filtered by reader (1 s per batch at 400,000 rows), or hashed
 * them on an estimate of 69 million per batch (1,024 batches of temporary files, 240 ms of a
 * 320 ms plan write at 1,000,000 readers).
 */
function heldPapers(readerId: string, sinceParam: string): string {
  return `(SELECT p.paper_id FROM deliveries d CROSS JOIN LATERAL unnest(d.paper_ids) AS p(paper_id)
    WHERE d.subscriber_id = ${readerId} AND d.digest_date >= ${sinceParam}::date OFFSET 0)`;
}

/** For each of `subscriberIds`, which of `papers` they were already sent. */
export async function findAlreadySent(
  db: PrismaClient,
  subscriberIds: string[],
  papers: { id: string; firstSeenAt: Date }[],
): Promise<Map<string, Set<string>>> {
  const sent = new Map<string, Set<string>>();
  const since = sentSince(papers);
  if (since === null || subscriberIds.length === 0) return sent;
  const rows = await rawSql(db).query<{ subscriber_id: string; paper_id: string }>(
    `SELECT s.id AS subscriber_id, held.paper_id
     FROM unnest($1::uuid[]) AS s(id) CROSS JOIN LATERAL ${heldPapers('s.id', '$2')} AS held
     WHERE held.paper_id = ANY($3::text[])`,
    [subscriberIds, since, papers.map((paper) => paper.id)],
  );
  for (const row of rows) {
    const set = sent.get(row.subscriber_id) ?? new Set<string>();
    set.add(row.paper_id);
    sent.set(row.subscriber_id, set);
  }
  return sent;
}

/** The papers of a day's delivery in rank order, each with its one-line reason. */
export type DeliveryPapers = { paperId: string; why: string }[];

/** A delivery row's two parallel arrays as one list of papers, the shape every reader of them wants. */
export function deliveryPapers(row: { paperIds: string[]; paperWhys: string[] }): DeliveryPapers {
  return row.paperIds.map((paperId, i) => ({ paperId, why: row.paperWhys[i] ?? '' }));
}

/** A planned digest for one reader: the papers in rank order with their one-line reasons. */
export interface PlannedDigest {
  subscriberId: string;
  digestDate: Date;
  /** When it was planned (the run's clock): the age that expires an unsent row. */
  plannedAt: Date;
  papers: DeliveryPapers;
}

/**
 * Records the plans of a batch of readers (one date each): one `deliveries` row each, `planned`
 * with its papers, or `skipped` with `no matching papers` when a plan has none. A reader who has a
 * row for that date already (another planner got there first) is left alone: the unique
 * (subscriber, date) key is the guard. Returns how many rows were new.
 *
 * Never twice: the planner left out what `findAlreadySent` found, but another planner (a manual
 * run for another date, or this run's own write for another date still in flight) may have
 * planned one of those papers for the reader since. So the batch's readers are locked first, and
 * the insert, a statement of its own (it sees what those planners committed before it got the
 * locks), leaves out every paper a delivery of theirs dated `since` (see `sentSince`) or later
 * already holds.
 */
export async function insertPlannedDeliveries(
  db: PrismaClient,
  plans: PlannedDigest[],
  since: string | null,
): Promise<number> {
  if (plans.length === 0) return 0;
  const subscriberIds = plans.map((plan) => plan.subscriberId);
  // The batch goes as JSON text, parsed by Postgres (on its own core): array parameters cost the
  // planner's thread a per-element conversion and escaping. Each distinct paper id and reason goes
  // once, the plans refer to them by position: readers of a batch share most reasons, and parsing
  // each copy was a third of the statement's time (904 KB -> 311 KB for 500 readers of the bench).
  const paperIds = new Positions();
  const whys = new Positions();
  const readers = JSON.stringify(
    plans.map((plan) => ({
      subscriber_id: plan.subscriberId,
      digest_date: isoDate(plan.digestDate),
      planned_at: plan.plannedAt.toISOString(),
      papers: plan.papers.map((paper) => paperIds.of(paper.paperId)),
      whys: plan.papers.map((paper) => whys.of(paper.why)),
    })),
  );
  const [, inserted] = await rawSql(db).transaction([
    // In id order, so two planners locking overlapping batches cannot deadlock.
    {
      text: 'SELECT 1 FROM subscribers WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE',
      params: [subscriberIds],
    },
    {
      text: `
      WITH plan AS (
        SELECT t.*, ARRAY${heldPapers('t.subscriber_id', '$4')} AS held
        FROM json_to_recordset($1::json)
          AS t(subscriber_id uuid, digest_date date, planned_at timestamptz, papers int[], whys int[])
      ), paper AS (
        SELECT * FROM json_array_elements_text($2::json) WITH ORDINALITY AS p(id, position)
      ), why AS (
        SELECT * FROM json_array_elements_text($3::json) WITH ORDINALITY AS w(line, position)
      ), kept AS (
        SELECT plan.subscriber_id, array_agg(paper.id ORDER BY x.n) AS paper_ids,
               array_agg(why.line ORDER BY x.n) AS paper_whys
        FROM plan CROSS JOIN LATERAL unnest(plan.papers, plan.whys) WITH ORDINALITY AS x(paper, why, n)
        JOIN paper ON paper.position = x.paper JOIN why ON why.position = x.why
        WHERE paper.id <> ALL(plan.held)
        GROUP BY plan.subscriber_id
      ), created AS (
        INSERT INTO deliveries (subscriber_id, digest_date, status, last_error, planned_at, paper_ids, paper_whys)
        SELECT plan.subscriber_id, plan.digest_date,
               CASE WHEN kept.paper_ids IS NULL THEN 'skipped' ELSE 'planned' END::delivery_status,
               CASE WHEN kept.paper_ids IS NULL THEN 'no matching papers' END,
               plan.planned_at, coalesce(kept.paper_ids, '{}'), coalesce(kept.paper_whys, '{}')
        FROM plan LEFT JOIN kept ON kept.subscriber_id = plan.subscriber_id
        ON CONFLICT (subscriber_id, digest_date) DO NOTHING
        RETURNING 1
      )
      SELECT count(*)::int AS count FROM created`,
      params: [readers, JSON.stringify(paperIds.values), JSON.stringify(whys.values), since],
    },
  ]);
  return (inserted as { count: number }[])[0]?.count ?? 0;
}

/** Distinct values in order of first use, each known by its position (from 1, as SQL arrays count). */
class Positions {
  readonly values: string[] = [];
  readonly #positions = new Map<string, number>();

  of(value: string): number {
    let position = this.#positions.get(value);
    if (position === undefined) {
      position = this.values.push(value);
      this.#positions.set(value, position);
    }
    return position;
  }
}

/** A delivery as rendering needs it. */
export interface RenderableDelivery {
  id: string;
  digestDate: Date;
  sentAt: Date | null;
  subscriber: { id: string; email: string; status: SubscriberStatus; tokenVersion: number };
  /** In the planned order. */
  papers: DeliveryPapers;
}

/**
 * Deliveries with everything needed to render and address them (a worker's claimed batch), in
 * one statement: Prisma's nested read of the same took ~12 ms of the worker's CPU per 100 rows.
 */
export async function loadDeliveries(db: PrismaClient, ids: string[]): Promise<RenderableDelivery[]> {
  const rows = await rawSql(db).query<{
    id: string;
    digest_date: string;
    sent_at: Date | null;
    subscriber_id: string;
    email: string;
    status: SubscriberStatus;
    token_version: number;
    papers: string | null;
  }>(
    `SELECT d.id, d.digest_date::text AS digest_date, d.sent_at, s.id AS subscriber_id, s.email,
       s.status::text AS status, s.token_version,
       -- As JSON text: parsing it is native, where text arrays are parsed a character at a time.
       (SELECT json_agg(json_build_object('paperId', x.id, 'why', x.why) ORDER BY x.n)::text
          FROM unnest(d.paper_ids, d.paper_whys) WITH ORDINALITY AS x(id, why, n)) AS papers
     FROM deliveries d
     JOIN subscribers s ON s.id = d.subscriber_id
     WHERE d.id = ANY($1::uuid[])
     ORDER BY d.planned_at, d.id`,
    [ids],
  );
  return rows.map((row) => ({
    id: row.id,
    // A date column as its ISO text: the drivers would read it as local midnight.
    digestDate: new Date(`${row.digest_date}T00:00:00Z`),
    sentAt: row.sent_at,
    subscriber: {
      id: row.subscriber_id,
      email: row.email,
      status: row.status,
      tokenVersion: row.token_version,
    },
    papers: row.papers ? (JSON.parse(row.papers) as DeliveryPapers) : [],
  }));
}

/** One delivery with everything needed to render it (the view-in-browser page), or null. */
export async function loadDelivery(db: PrismaClient, id: string): Promise<RenderableDelivery | null> {
  return (await loadDeliveries(db, [id]))[0] ?? null;
}

/** A reader's most recent sent deliveries with their papers in order, newest first (for their private feed). */
export async function findRecentSentDeliveries(db: Db, subscriberId: string, take: number) {
  const rows = await db.delivery.findMany({
    where: { subscriberId, status: 'sent' },
    orderBy: { digestDate: 'desc' },
    take,
    select: { id: true, digestDate: true, sentAt: true, paperIds: true, paperWhys: true },
  });
  return rows.map(({ paperIds, paperWhys, ...row }) => ({
    ...row,
    papers: deliveryPapers({ paperIds, paperWhys }),
  }));
}
