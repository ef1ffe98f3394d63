import cron, { type ScheduledTask } from 'node-cron';
import type { Deps } from '../src/deps.ts';
import { isoDate, runDigest } from '../src/digest/run.ts';
import type { PaperSource } from '../src/papers/sources/source.ts';
import { ingestSources } from './ingest.ts';

/**
 * At `cron` in `timezone` (DIGEST_CRON, DIGEST_TIMEZONE): ingest today's papers from `sources`,
 * then plan and send the day's digest. Ticks never overlap; a failing source never stops the digest.
 */
export function startScheduler(
  deps: Deps,
  schedule: { cron: string; timezone: string },
  sources: PaperSource[] = [],
): ScheduledTask {
  const task = cron.schedule(
    schedule.cron,
    async () => {
      try {
        await ingestSources({ deps }, sources, isoDate(deps.now()));
        await runDigest(deps);
      } catch (error) {
        deps.log.error({ event: 'digest.run_failed', err: error });
      }
    },
    { timezone: schedule.timezone, noOverlap: true, name: 'digest' },
  );
  deps.log.info({
    event: 'scheduler.started',
    cron: schedule.cron,
    timezone: schedule.timezone,
    sources: sources.map((s) => s.name),
  });
  return task;
}
