import { isoDate } from '../dates.ts';
import type { Deps } from '../deps.ts';
import { findDueSubscribers } from './digest.queries.ts';
import {
  type DigestRow,
  loadRankerForDate,
  type PlanTally,
  planReaders,
  planScheduled,
  planWriter,
  readerBatches,
  type TickMemory,
} from './plan.ts';
import { createSender, emptyTally, type SendTally } from './send.ts';

export type { DigestRow } from './plan.ts';

const BATCH = 500;

/**
 * The accounting of one run: every reader it decided about ends in one bucket, so
 * candidates = sent + skipped + failed + bounced + suppressed + deferred (see `accountingLine`).
 */
export interface DigestRunResult extends PlanTally, Omit<SendTally, 'claimed'> {
  /** The digest date of a manual run; for a scheduler tick, the UTC date of the tick. */
  date: string;
  /** Readers decided about: skipped or missed at planning, plus every queued row this run took. */
  candidates: number;
  rows: DigestRow[];
}

/** What a run reports as it goes (for progress bars). */
export interface DigestProgress {
  planned: number;
  sent: number;
  failed: number;
}

/** How to run: a manual run for one date (the default), or the scheduler's tick. */
export interface DigestRunOptions {
  date?: string;
  dryRun?: boolean;
  /**
   * The scheduler's tick: plan whoever is due now for their local date, skip the missed (date is
   * ignored); `memory`, kept from tick to tick by one scheduler, narrows it to what can have changed.
   */
  tick?: { maxLatenessHours: number; memory?: TickMemory | undefined };
  /** Plan only; workers send (the scheduler role). */
  planOnly?: boolean;
  onProgress?: (progress: DigestProgress) => void;
}

/**
 * Plans and sends digests. A manual run sends the digest for `date` to every active reader who has
 * none for it yet, whatever their hour; papers are those first seen (or whose signals moved) in the
 * 24 hours before the run (before the end of `date` for a past date). A tick plans only readers
 * whose local delivery time has come (see `planScheduled`).
 * Planning records one delivery per reader and date before anything is sent, so running twice,
 * or after a crash, sends nobody a second digest. A dry run ranks and reports, and writes nothing.
 */
export async function runDigest(deps: Deps, options: DigestRunOptions = {}): Promise<DigestRunResult> {
  const now = deps.now();
  const result: DigestRunResult = {
    date: options.tick ? isoDate(now) : (options.date ?? isoDate(now)),
    dryRun: options.dryRun === true,
    candidatePapers: 0,
    candidates: 0,
    planned: 0,
    missed: 0,
    ...emptyTally(),
    rows: [],
  };
  const progress = () =>
    options.onProgress?.({ planned: result.planned, sent: result.sent, failed: result.failed });
  const dates = options.tick
    ? await planScheduled(deps, options.tick, result, progress)
    : await planDate(deps, result.date, result, progress);
  // What planning decided without queueing (no papers, missed) is already final.
  result.candidates = result.skipped + result.missed;
  if (!result.dryRun && !options.planOnly && dates.length > 0) {
    const sender = createSender(deps);
    try {
      const base = { ...result };
      const sent = await sender.drain(dates, (tally) => {
        Object.assign(result, addTally(base, tally));
        progress();
      });
      Object.assign(result, addTally(base, sent));
    } finally {
      await sender.stop();
    }
  }
  const logged = { ...result, rows: undefined, durationMs: Date.now() - now.getTime() };
  // A tick runs every minute: only one that did something is worth an info line.
  if (options.tick && result.planned + result.skipped + result.missed + result.sent === 0)
    deps.log.debug({ event: 'digest.tick_idle', ...logged });
  else {
    const sending = !result.dryRun && !options.planOnly;
    deps.log.info({
      event: 'digest.run_finished',
      ...(sending ? { accounting: accountingLine(result), mismatch: accountingMismatch(result) } : {}),
      ...logged,
    });
  }
  return result;
}

function addTally<T extends DigestRunResult>(base: T, tally: SendTally): T {
  return {
    ...base,
    candidates: base.candidates + tally.claimed,
    sent: base.sent + tally.sent,
    failed: base.failed + tally.failed,
    bounced: base.bounced + tally.bounced,
    suppressed: base.suppressed + tally.suppressed,
    skipped: base.skipped + tally.skipped,
    deferred: base.deferred + tally.deferred,
  };
}

/** The buckets every candidate ends in; a run whose buckets do not add up has lost track of someone. */
export function accountingMismatch(result: DigestRunResult): number {
  const { sent, skipped, failed, bounced, suppressed, deferred } = result;
  return result.candidates - (sent + skipped + failed + bounced + suppressed + deferred);
}

/** `candidates N = sent + skipped + failed + bounced + suppressed + deferred`, with the numbers. */
export function accountingLine(result: DigestRunResult): string {
  const { candidates, sent, skipped, failed, bounced, suppressed, deferred } = result;
  const line = `candidates ${candidates} = sent ${sent} + skipped ${skipped} + failed ${failed} + bounced ${bounced} + suppressed ${suppressed} + deferred ${deferred}`;
  const mismatch = accountingMismatch(result);
  return mismatch === 0 ? line : `${line} — MISMATCH by ${mismatch}`;
}

/** The manual run's planning: every active reader without a delivery for `date`, in id batches. */
async function planDate(deps: Deps, date: string, tally: PlanTally, progress: () => void): Promise<Date[]> {
  const digestDate = new Date(`${date}T00:00:00Z`);
  const ranker = await loadRankerForDate(deps, digestDate);
  tally.candidatePapers = ranker.papers.length;
  const writer = planWriter(deps, tally.dryRun);
  for await (const readers of readerBatches((afterId) =>
    findDueSubscribers(deps.db, digestDate, afterId, BATCH),
  )) {
    await planReaders(deps, ranker, readers, digestDate, tally, writer);
    progress();
  }
  await writer.flush();
  return [digestDate];
}
