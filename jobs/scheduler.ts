import cron, { type ScheduledTask } from 'node-cron';
import { runDigest } from '../src/digest/run.ts';
import type { Runtime } from './runtime.ts';

/** Runs the day's digest at DIGEST_CRON in DIGEST_TIMEZONE; a tick never overlaps the previous one. */
export function startScheduler(runtime: Runtime): ScheduledTask {
  const { config, deps } = runtime;
  const task = cron.schedule(
    config.digestCron,
    async () => {
      try {
        await runDigest(deps);
      } catch (error) {
        deps.log.error({ event: 'digest.run_failed', err: error });
      }
    },
    { timezone: config.digestTimezone, noOverlap: true, name: 'digest' },
  );
  deps.log.info({ event: 'scheduler.started', cron: config.digestCron, timezone: config.digestTimezone });
  return task;
}
