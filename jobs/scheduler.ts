import cron, { type ScheduledTask } from 'node-cron';
import type { Deps } from '../src/deps.ts';
import { runDigest } from '../src/digest/run.ts';

/** Runs the day's digest at `cron` in `timezone` (DIGEST_CRON, DIGEST_TIMEZONE); ticks never overlap. */
export function startScheduler(deps: Deps, schedule: { cron: string; timezone: string }): ScheduledTask {
  const task = cron.schedule(
    schedule.cron,
    async () => {
      try {
        await runDigest(deps);
      } catch (error) {
        deps.log.error({ event: 'digest.run_failed', err: error });
      }
    },
    { timezone: schedule.timezone, noOverlap: true, name: 'digest' },
  );
  deps.log.info({ event: 'scheduler.started', cron: schedule.cron, timezone: schedule.timezone });
  return task;
}
