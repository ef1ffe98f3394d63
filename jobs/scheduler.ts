import cron, { type ScheduledTask } from 'node-cron';
import { isoDate } from '../src/dates.ts';
import type { Deps } from '../src/deps.ts';
import type { TickMemory } from '../src/digest/plan.ts';
import { runDigest } from '../src/digest/run.ts';
import type { PaperSource } from '../src/papers/sources/source.ts';
import { ingestSources } from './ingest.ts';

/** When the scheduler works: the per-reader tick, and the daily ingest. */
export interface ScheduleOptions {
  /** SCHEDULE_TICK_CRON: plan and send whoever's local delivery time has come. */
  tickCron: string;
  /** DIGEST_CRON: ingest the day's papers, at most once per UTC day. */
  ingestCron: string;
  /** DIGEST_TIMEZONE, for `ingestCron` (the tick decides per reader, in their own zone). */
  timezone: string;
  /** MAX_LATENESS_HOURS: past this, a reader's day is recorded as missed, not sent. */
  maxLatenessHours: number;
}

/** A running scheduler; `stop()` ends both of its tasks. */
export interface Scheduler {
  stop(): Promise<void>;
}

/** Runs a task only where no other process is running it (an advisory lock); false when skipped. */
export type Exclusive = (lockKey: number, fn: () => Promise<void>) => Promise<boolean>;

/** Arbitrary but fixed keys: every Paperboy scheduler takes the same ones. */
const PLAN_LOCK = 72_616_102;
const INGEST_LOCK = 72_616_103;

const alone: Exclusive = async (_key, fn) => {
  await fn();
  return true;
};

/**
 * Starts the tick (plans every reader whose local delivery time has come; workers send) and the
 * daily ingest from `sources`. They are separate tasks, so a slow or failing source never delays
 * planning; neither task overlaps itself, and with `exclusive` (an advisory lock) only one of any
 * number of schedulers runs each at a time — the (reader, date) key makes a second plan harmless
 * anyway, but a second ingest would fetch every source twice.
 */
export function startScheduler(
  deps: Deps,
  schedule: ScheduleOptions,
  sources: PaperSource[] = [],
  exclusive: Exclusive = alone,
): Scheduler {
  const memory: TickMemory = {};
  const tasks: ScheduledTask[] = [
    cron.schedule(
      schedule.tickCron,
      () =>
        exclusive(PLAN_LOCK, () => tick(deps, schedule.maxLatenessHours, memory)).catch(
          logFailure(deps, 'digest'),
        ),
      { noOverlap: true, name: 'digest-tick' },
    ),
  ];
  if (sources.length > 0) {
    let ingestedOn: string | undefined;
    const ingest = async () => {
      const today = isoDate(deps.now());
      // At most once per UTC day, whatever the cron says: a failed source is retried tomorrow.
      if (ingestedOn === today) return;
      const ran = await exclusive(INGEST_LOCK, async () => {
        // Another scheduler may have ingested today already (and released the lock): ask the database.
        if (await ingestedToday(deps, sources, today)) return;
        await ingestSources({ deps }, sources, today);
      }).catch(logFailure(deps, 'ingest'));
      if (ran) ingestedOn = today;
    };
    tasks.push(
      cron.schedule(schedule.ingestCron, ingest, {
        timezone: schedule.timezone,
        noOverlap: true,
        name: 'ingest',
      }),
    );
  }
  deps.log.info({
    event: 'scheduler.started',
    tickCron: schedule.tickCron,
    ingestCron: schedule.ingestCron,
    timezone: schedule.timezone,
    maxLatenessHours: schedule.maxLatenessHours,
    sources: sources.map((s) => s.name),
  });
  return {
    async stop() {
      for (const task of tasks) await task.stop();
    },
  };
}

async function tick(deps: Deps, maxLatenessHours: number, memory: TickMemory): Promise<void> {
  await runDigest(deps, { tick: { maxLatenessHours, memory }, planOnly: true });
}

/** Whether every source has a run that started today (UTC), by any scheduler. */
async function ingestedToday(deps: Deps, sources: PaperSource[], today: string): Promise<boolean> {
  const runs = await deps.db.ingestRun.groupBy({
    by: ['source'],
    where: { source: { in: sources.map((s) => s.name) }, startedAt: { gte: new Date(`${today}T00:00:00Z`) } },
  });
  return runs.length === sources.length;
}

const logFailure = (deps: Deps, what: 'digest' | 'ingest') => (error: unknown) => {
  deps.log.error({ event: `${what}.run_failed`, err: error });
  return false;
};
