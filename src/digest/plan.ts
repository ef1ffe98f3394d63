import type { Deps } from '../deps.ts';
import type { Paper } from '../papers/paper.ts';
import { findCandidatePapers } from '../papers/papers.queries.ts';
import type { RankingTopic } from '../ranking/query.ts';
import {
  explain,
  indexPapers,
  type PaperIndex,
  type RankedPaper,
  rankPapers,
  trendingFallback,
} from '../ranking/rank.ts';
import { findRankingTopics } from '../topics/topics.queries.ts';
import {
  databaseNow,
  findActiveTimezones,
  findAlreadySent,
  findChangedTimezones,
  findScheduledSubscribers,
  hasScheduledSubscriber,
  insertPlannedDeliveries,
  type PlannedDigest,
  recordMissedDeliveries,
  type ScheduledReader,
  type Slot,
  sentSince,
} from './digest.queries.ts';
import { type SlotGroup, type SlotHour, zoneSlotGroups } from './schedule.ts';

const BATCH = 500;
const DAY_MS = 86_400_000;
/** A dry run's table stops here: enough to read, never the whole list in memory. */
const DRY_RUN_ROWS = 10_000;

/** One reader's outcome in a run, for the operator's table. */
export interface DigestRow {
  subscriberId: string;
  email: string;
  topics: string[];
  papers: number;
  topPaper: string | null;
}

/** What planning adds up to; `runDigest` adds the sending. */
export interface PlanTally {
  dryRun: boolean;
  candidatePapers: number;
  planned: number;
  skipped: number;
  /** Readers whose slot was more than the lateness ago: recorded `skipped`, never sent. */
  missed: number;
  /** A dry run's table (its first 10,000 readers); empty otherwise, so a real run streams. */
  rows: DigestRow[];
}

/** The candidate papers of a run, indexed once and shared by every reader it plans, and the topics they pick from. */
export interface Ranker {
  papers: Paper[];
  index: PaperIndex;
  topics: Map<string, RankingTopic>;
}

/** The ranker of a manual run (and a preview) for `digestDate`: the 24 hours before the date ends, or before now. */
export function loadRankerForDate(deps: Deps, digestDate: Date): Promise<Ranker> {
  return loadRanker(deps, new Date(Math.min(deps.now().getTime(), digestDate.getTime() + DAY_MS)));
}

/** Indexes the papers first seen (or whose signals moved) in the 24 hours up to `asOf`. */
export async function loadRanker(deps: Deps, asOf: Date): Promise<Ranker> {
  const [papers, topics] = await Promise.all([
    findCandidatePapers(deps.db, asOf),
    findRankingTopics(deps.db),
  ]);
  const ranking = deps.config.ranking;
  // Unset settings (tests, tools) take the ranker's own defaults.
  const index = indexPapers(papers, {
    now: deps.now(),
    ...(ranking ? { trendingWeight: ranking.trendingWeight, diversity: ranking.diversity } : {}),
  });
  return { papers, index, topics };
}

/**
 * Records plans behind the ranking: while the database writes batches k − 1 and k (on their own
 * sessions, so Postgres can use both cores), the caller ranks batch k + 1. At most
 * `WRITES_IN_FLIGHT` writes are pending; `flush` waits for them all and reports the first failure.
 */
export interface PlanWriter {
  /** `since`: the earliest date a delivery holding one of the plans' papers can have (`sentSince`). */
  write(plans: PlannedDigest[], since: string | null): Promise<void>;
  flush(): Promise<void>;
}

/** Measured with `npm run bench`: one write in flight left Postgres on one core, idle half the time. */
const WRITES_IN_FLIGHT = 2;

export function planWriter(deps: Deps, dryRun: boolean): PlanWriter {
  const inFlight: Promise<unknown>[] = [];
  return {
    async write(plans, since) {
      if (inFlight.length >= WRITES_IN_FLIGHT) await inFlight.shift();
      if (dryRun) return;
      // Awaited by a later write or by flush.
      inFlight.push(awaitedLater(insertPlannedDeliveries(deps.db, plans, since)));
    },
    async flush() {
      const pending = inFlight.splice(0);
      const results = await Promise.allSettled(pending);
      const failed = results.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/** Ranks each reader's papers for `digestDate` and hands the plans to `writer` (which writes nothing on a dry run). */
export async function planReaders(
  deps: Deps,
  ranker: Ranker,
  readers: ScheduledReader[],
  digestDate: Date,
  tally: PlanTally,
  writer: PlanWriter,
): Promise<void> {
  const alreadySent = await findAlreadySent(
    deps.db,
    readers.map((reader) => reader.id),
    ranker.papers,
  );
  const plans: PlannedDigest[] = [];
  for (const reader of readers) {
    const { ranked, plan } = planReader(deps, ranker, reader, digestDate, alreadySent.get(reader.id));
    if (tally.dryRun && tally.rows.length < DRY_RUN_ROWS)
      tally.rows.push({
        subscriberId: reader.id,
        email: reader.email,
        topics: reader.topicSlugs,
        papers: ranked.length,
        topPaper: ranked[0]?.paper.title ?? null,
      });
    if (ranked.length === 0) tally.skipped++;
    else tally.planned++;
    plans.push(plan);
  }
  await writer.write(plans, sentSince(ranker.papers));
}

/** One reader's plan for `digestDate`: their ranked papers, and the papers with their reasons as stored. */
export function planReader(
  deps: Pick<Deps, 'config' | 'now'>,
  ranker: Ranker,
  reader: ScheduledReader,
  digestDate: Date,
  alreadySent?: ReadonlySet<string>,
): { ranked: RankedPaper[]; plan: PlannedDigest } {
  const ranked = rankReader(deps, ranker, reader, alreadySent);
  return {
    ranked,
    plan: {
      subscriberId: reader.id,
      digestDate,
      plannedAt: deps.now(),
      papers: ranked.map((entry) => ({ paperId: entry.paper.id, why: explain(entry.why) })),
    },
  };
}

/**
 * One reader's digest: their ranked papers, or (with EMPTY_DIGEST=trending and nothing matching)
 * today's top trending, labelled so. Empty means no email.
 */
export function rankReader(
  deps: Pick<Deps, 'config'>,
  ranker: Ranker,
  reader: PlannableReader,
  alreadySent?: ReadonlySet<string>,
): RankedPaper[] {
  const prefs = readerPreferences(ranker, reader, alreadySent);
  const matched = rankPapers(ranker.index, prefs);
  if (matched.length > 0 || deps.config.ranking?.emptyDigest !== 'trending') return matched;
  return trendingFallback(ranker.index, prefs);
}

/** What ranking needs to know about a reader. */
type PlannableReader = Pick<ScheduledReader, 'topicSlugs' | 'interests' | 'maxPapers'>;

/**
 * A reader's preferences as ranking takes them, their topics as the run defines them;
 * `alreadySent` are the papers they must not get again. A slug the run does not know is a topic
 * stored after the run read them (a newer version's taxonomy): the reader is ranked on their
 * other topics this once.
 */
function readerPreferences(
  ranker: Ranker,
  reader: PlannableReader,
  alreadySent: ReadonlySet<string> = new Set(),
) {
  return {
    topics: reader.topicSlugs.flatMap((slug) => ranker.topics.get(slug) ?? []),
    interests: reader.interests.filter((i) => i.kind === 'text').map((i) => i.value),
    authors: reader.interests.filter((i) => i.kind === 'author').map((i) => i.value),
    excludes: reader.interests.filter((i) => i.kind === 'exclude').map((i) => i.value),
    limit: reader.maxPapers,
    alreadySent,
  };
}

/**
 * What a scheduler remembers of its last completed tick, so that the next looks only at what can
 * have become due since: slots that came after that tick, and readers whose schedule changed
 * (`subscribers.schedule_changed_at`, kept by a trigger) since shortly before it. Without it a
 * tick probes every active reader's delivery for their latest slot: at 1,000,000 readers, 7 s of
 * PostgreSQL's CPU every minute to find nobody due. Per process: another scheduler's ticks, or a
 * failed or dry tick, leave it as it was, and a later tick then looks further back.
 */
export interface TickMemory {
  last?: { at: Date; changedSince: Date };
}

/**
 * How far before a tick's start a reader's change still counts as unseen by it: a transaction that
 * changed a schedule may commit after the tick read, stamped with its own start. An hour covers any
 * transaction Paperboy runs, and the changed readers of an hour are few to read.
 */
const CHANGE_MARGIN_MS = 3_600_000;

/**
 * The scheduler's tick: plans every active reader whose local delivery time has come at `now` (and
 * is at most `maxLatenessHours` past) and who has no delivery for that local date; records readers
 * past the lateness as `skipped`. With `memory`, only slots that came since its last tick and
 * readers changed since are looked at. Papers are loaded only when someone is due. Returns the
 * local dates that were due, whose planned deliveries the caller then sends.
 */
export async function planScheduled(
  deps: Deps,
  tick: { maxLatenessHours: number; memory?: TickMemory | undefined },
  tally: PlanTally,
  progress: () => void = () => {},
): Promise<Date[]> {
  const now = deps.now();
  const { maxLatenessHours, memory } = tick;
  let ranker: Promise<Ranker> | undefined;
  const getRanker = (): Promise<Ranker> => {
    ranker ??= loadRanker(deps, now).then((loaded) => {
      tally.candidatePapers = loaded.papers.length;
      return loaded;
    });
    return ranker;
  };
  const startedAt = memory ? await databaseNow(deps.db) : undefined;
  // A clock that went back (tests, a corrected host) remembers nothing.
  const last = memory?.last && memory.last.at < now ? memory.last : undefined;
  const changedZones = last ? await findChangedTimezones(deps.db, last.changedSince) : undefined;
  const dueDates = new Set<string>();
  const writer = planWriter(deps, tally.dryRun);
  const run = { maxLatenessHours, getRanker, tally, writer };
  for (const timezone of await findActiveTimezones(deps.db)) {
    const groups = zoneSlotGroups(timezone, now, maxLatenessHours);
    for (const group of groups) if (group.status === 'due') dueDates.add(group.localDate);
    for (const pass of zonePasses(groups, last, changedZones?.has(timezone) ?? false)) {
      if (!(await hasScheduledSubscriber(deps.db, timezone, pass.groups, pass.changedSince))) continue;
      for (const group of pass.groups) {
        await planGroup(deps, { timezone, group, changedSince: pass.changedSince }, run);
        progress();
      }
    }
  }
  await writer.flush();
  if (memory && startedAt && !tally.dryRun)
    memory.last = { at: now, changedSince: new Date(startedAt.getTime() - CHANGE_MARGIN_MS) };
  return [...dueDates].sort().map((date) => new Date(`${date}T00:00:00Z`));
}

/**
 * What a tick reads in one zone. Without a last tick: every reader of every group. With one, two
 * passes that share no hour, so no reader is planned twice in a tick: the hours whose slot came
 * since the last tick, all their readers; and where the zone has changed readers, the other hours'
 * changed readers only.
 */
function zonePasses(
  groups: SlotGroup[],
  last: TickMemory['last'],
  zoneChanged: boolean,
): { groups: SlotGroup[]; changedSince?: Date }[] {
  if (!last) return [{ groups }];
  const came = hoursWhere(groups, (hour) => hour.deliverAt > last.at);
  if (!zoneChanged) return [{ groups: came }];
  const before = hoursWhere(groups, (hour) => hour.deliverAt <= last.at);
  return [{ groups: came }, { groups: before, changedSince: last.changedSince }];
}

/** The hours of `groups` that `keep`, in the groups that keep any. */
function hoursWhere(groups: SlotGroup[], keep: (hour: SlotHour) => boolean): SlotGroup[] {
  return groups
    .map((group) => ({ ...group, hours: group.hours.filter(keep) }))
    .filter((group) => group.hours.length > 0);
}

/** Marks `work` as awaited later: a failure before then must not count as unhandled (it is reported there). */
function awaitedLater<T>(work: Promise<T>): Promise<T> {
  work.catch(() => {});
  return work;
}

/**
 * The readers `read` finds, a batch at a time in id order, each batch read while the caller works
 * on the one before. The id cursor, not what the caller writes, moves it on (a dry run writes
 * nothing).
 */
export async function* readerBatches(
  read: (afterId: string | null) => Promise<ScheduledReader[]>,
): AsyncGenerator<ScheduledReader[]> {
  let next = awaitedLater(read(null));
  for (;;) {
    const readers = await next;
    const lastId = readers.at(-1)?.id;
    if (lastId === undefined) return;
    next = awaitedLater(read(lastId));
    yield readers;
  }
}

/** A slot group of one time zone: its readers, or with `changedSince` only those changed since. */
type ZoneGroup = Omit<Slot, 'hour'>;

async function planGroup(
  deps: Deps,
  zoneGroup: ZoneGroup,
  run: { maxLatenessHours: number; getRanker: () => Promise<Ranker>; tally: PlanTally; writer: PlanWriter },
): Promise<void> {
  if (zoneGroup.group.status === 'missed') return recordMissed(deps, zoneGroup, run);
  const digestDate = new Date(`${zoneGroup.group.localDate}T00:00:00Z`);
  for await (const readers of dueReaders(deps, zoneGroup))
    await planReaders(deps, await run.getRanker(), readers, digestDate, run.tally, run.writer);
}

/**
 * The readers of a due group in batches of `BATCH`, read an hour at a time but planned across
 * hours: one hour of one zone held 1/192 of the bench's readers (8 zones), and planning it alone made
 * batches (and plan writes) of a few dozen readers.
 */
async function* dueReaders(deps: Deps, zoneGroup: ZoneGroup): AsyncGenerator<ScheduledReader[]> {
  let pending: ScheduledReader[] = [];
  for (const hour of zoneGroup.group.hours)
    for await (const readers of readerBatches((afterId) =>
      findScheduledSubscribers(deps.db, { ...zoneGroup, hour }, { afterId, take: BATCH }),
    )) {
      pending.push(...readers);
      if (pending.length >= BATCH) {
        yield pending.slice(0, BATCH);
        pending = pending.slice(BATCH);
      }
    }
  if (pending.length > 0) yield pending;
}

/** Readers per statement that records a missed slot: rows of a few columns, written where they are read. */
const MISSED_BATCH = 5_000;

async function recordMissed(
  deps: Deps,
  zoneGroup: ZoneGroup,
  run: { maxLatenessHours: number; tally: PlanTally },
): Promise<void> {
  const reason = `missed: more than ${run.maxLatenessHours} hours late`;
  for (const hour of zoneGroup.group.hours) {
    let afterId: string | null = null;
    for (;;) {
      const batch = await recordMissedDeliveries(
        deps.db,
        { ...zoneGroup, hour },
        reason,
        { afterId, take: MISSED_BATCH },
        run.tally.dryRun,
      );
      run.tally.missed += batch.readers;
      if (batch.lastId === null) break;
      afterId = batch.lastId;
    }
  }
}
