import type { Deps } from '../deps.ts';
import type { Paper } from '../papers/paper.ts';
import { findCandidatePapers } from '../papers/papers.queries.ts';
import { explain, indexPapers, type PaperIndex, rankPapers, trendingFallback } from '../ranking/rank.ts';
import { TOPICS } from '../topics/taxonomy.ts';
import {
  findActiveTimezones,
  findAlreadySent,
  findScheduledSubscribers,
  hasScheduledSubscriber,
  insertMissedDeliveries,
  insertPlannedDeliveries,
  type PlannedDigest,
  type ScheduledReader,
} from './digest.queries.ts';
import { type SlotGroup, zoneSlotGroups } from './schedule.ts';

const BATCH = 500;
const TOPICS_BY_SLUG = new Map(TOPICS.map((topic) => [topic.slug, topic]));

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
  rows: DigestRow[];
}

/** The candidate papers of a run, indexed once and shared by every reader it plans. */
export interface Ranker {
  papers: Paper[];
  index: PaperIndex;
}

/** Indexes the papers first seen (or whose signals moved) in the 24 hours up to `asOf`. */
export async function loadRanker(deps: Deps, asOf: Date): Promise<Ranker> {
  const papers = await findCandidatePapers(deps.db, asOf);
  const ranking = deps.config.ranking;
  // Unset settings (tests, tools) take the ranker's own defaults.
  const index = indexPapers(papers, {
    now: deps.now(),
    ...(ranking ? { trendingWeight: ranking.trendingWeight, diversity: ranking.diversity } : {}),
  });
  return { papers, index };
}

/** Ranks each reader's papers and records their plan for `digestDate` (nothing is written on a dry run). */
export async function planReaders(
  deps: Deps,
  ranker: Ranker,
  readers: ScheduledReader[],
  digestDate: Date,
  tally: PlanTally,
): Promise<void> {
  const emptyDigest = deps.config.ranking?.emptyDigest ?? 'skip';
  const alreadySent = await findAlreadySent(
    deps.db,
    readers.map((reader) => reader.id),
    ranker.papers.map((paper) => paper.id),
  );
  const plans: PlannedDigest[] = [];
  for (const reader of readers) {
    const prefs = readerPreferences(reader, alreadySent.get(reader.id));
    const matched = rankPapers(ranker.index, prefs);
    const ranked =
      matched.length === 0 && emptyDigest === 'trending' ? trendingFallback(ranker.index, prefs) : matched;
    tally.rows.push({
      subscriberId: reader.id,
      email: reader.email,
      topics: reader.topics.map((row) => row.topic.slug),
      papers: ranked.length,
      topPaper: ranked[0]?.paper.title ?? null,
    });
    if (ranked.length === 0) tally.skipped++;
    else tally.planned++;
    plans.push({
      subscriberId: reader.id,
      digestDate,
      papers: ranked.map((entry) => ({ paperId: entry.paper.id, why: explain(entry.why) })),
    });
  }
  if (!tally.dryRun) await insertPlannedDeliveries(deps.db, plans);
}

/** A reader's preferences as ranking takes them; `alreadySent` are the papers they must not get again. */
export function readerPreferences(reader: ScheduledReader, alreadySent: ReadonlySet<string> = new Set()) {
  return {
    // The built-in definition (with its synonyms) where the topic is still built in.
    topics: reader.topics.map((row) => TOPICS_BY_SLUG.get(row.topic.slug) ?? row.topic),
    interests: reader.interests.filter((i) => i.kind === 'text').map((i) => i.value),
    authors: reader.interests.filter((i) => i.kind === 'author').map((i) => i.value),
    excludes: reader.interests.filter((i) => i.kind === 'exclude').map((i) => i.value),
    limit: reader.maxPapers,
    alreadySent,
  };
}

/**
 * The scheduler's tick: plans every active reader whose local delivery time has come at `now` (and
 * is at most `maxLatenessHours` past) and who has no delivery for that local date; records readers
 * past the lateness as `skipped`. Papers are loaded only when someone is due. Returns the local
 * dates that were due, whose planned deliveries the caller then sends.
 */
export async function planScheduled(
  deps: Deps,
  maxLatenessHours: number,
  tally: PlanTally,
  progress: () => void = () => {},
): Promise<Date[]> {
  const now = deps.now();
  let ranker: Promise<Ranker> | undefined;
  const getRanker = (): Promise<Ranker> => {
    ranker ??= loadRanker(deps, now).then((loaded) => {
      tally.candidatePapers = loaded.papers.length;
      return loaded;
    });
    return ranker;
  };
  const dueDates = new Set<string>();
  for (const timezone of await findActiveTimezones(deps.db)) {
    const groups = zoneSlotGroups(timezone, now, maxLatenessHours);
    for (const group of groups) if (group.status === 'due') dueDates.add(group.localDate);
    if (!(await hasScheduledSubscriber(deps.db, timezone, groups))) continue;
    for (const group of groups) {
      await planGroup(deps, timezone, group, { maxLatenessHours, getRanker, tally });
      progress();
    }
  }
  return [...dueDates].sort().map((date) => new Date(`${date}T00:00:00Z`));
}

async function planGroup(
  deps: Deps,
  timezone: string,
  group: SlotGroup,
  run: { maxLatenessHours: number; getRanker: () => Promise<Ranker>; tally: PlanTally },
): Promise<void> {
  const digestDate = new Date(`${group.localDate}T00:00:00Z`);
  // On a dry run nothing is written, so the cursor (not the missing delivery) moves the loop on.
  let afterId: string | null = null;
  for (;;) {
    const readers = await findScheduledSubscribers(deps.db, timezone, group, afterId, BATCH);
    if (readers.length === 0) return;
    afterId = readers.at(-1)?.id ?? null;
    if (group.status === 'due') {
      await planReaders(deps, await run.getRanker(), readers, digestDate, run.tally);
      continue;
    }
    run.tally.missed += readers.length;
    if (run.tally.dryRun) continue;
    const reason = `missed: more than ${run.maxLatenessHours} hours late`;
    await insertMissedDeliveries(
      deps.db,
      readers.map((reader) => reader.id),
      digestDate,
      reason,
    );
  }
}
