import cron, { type ScheduledTask } from 'node-cron';
import { isoDate } from '../src/dates.ts';
import type { Deps } from '../src/deps.ts';
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

/**
 * Starts the tick (every reader whose local delivery time has come gets that day's digest) and the
 * daily ingest from `sources`. They are separate tasks, so a slow or failing source never delays
 * planning; neither task overlaps itself.
 */
export function startScheduler(
  deps: Deps,
  schedule: ScheduleOptions,
  sources: PaperSource[] = [],
): Scheduler {
  const tasks: ScheduledTask[] = [
    cron.schedule(schedule.tickCron, () => tick(deps, schedule.maxLatenessHours), {
      noOverlap: true,
      name: 'digest-tick',
    }),
  ];
  if (sources.length > 0) {
    let ingestedOn: string | undefined;
    const ingest = async () => {
      const today = isoDate(deps.now());
      // At most once per UTC day, whatever the cron says: a failed source is retried tomorrow.
      if (ingestedOn === today) return;
      ingestedOn = today;
      try {
        await ingestSources({ deps }, sources, today);
      } catch (error) {
        deps.log.error({ event: 'ingest.run_failed', err: error });
      }
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

async function tick(deps: Deps, maxLatenessHours: number): Promise<void> {
  try {
    await runDigest(deps, { tick: { maxLatenessHours } });
  } catch (error) {
    deps.log.error({ event: 'digest.run_failed', err: error });
  }
}
