/**
 * The other baseline of the bench's planning figure, as a process of its own: the planner's reads
 * and writes alone. It plans every active reader of the bench database for DATE with the manual
 * run's own reads (readers in batches with their preferences, the papers they were already sent)
 * and writes (`planWriter`: one deliveries row each, two writes in flight), but ranks nobody:
 * every plan is empty, so every row is `skipped` with no papers. Prints one JSON line {planned,
 * skipped, seconds, cpuMs, maxRssMb, postgresCpuMs}; the caller deletes the rows it wrote.
 *
 *   node [the V8 flags of bin/paperboy.js] --import tsx bench/write-process.ts DATABASE_URL DATE
 */
import { findAlreadySent, findDueSubscribers, sentSince } from '../src/digest/digest.queries.ts';
import { loadRankerForDate, planWriter, readerBatches } from '../src/digest/plan.ts';
import { measuredProcess, openPlanningDeps } from './deps.ts';

const [url, date] = process.argv.slice(2);
if (!url || !date) throw new Error('usage: write-process.ts DATABASE_URL DATE');
const { deps, close } = await openPlanningDeps(url);
const digestDate = new Date(`${date}T00:00:00Z`);
const outcome = await measuredProcess(deps, url, async () => {
  const { papers } = await loadRankerForDate(deps, digestDate);
  const writer = planWriter(deps, false);
  let readers = 0;
  for await (const batch of readerBatches((afterId) =>
    findDueSubscribers(deps.db, digestDate, afterId, 500),
  )) {
    const ids = batch.map((reader) => reader.id);
    await findAlreadySent(deps.db, ids, papers);
    const plans = ids.map((subscriberId) => ({
      subscriberId,
      digestDate,
      plannedAt: deps.now(),
      papers: [],
    }));
    await writer.write(plans, sentSince(papers));
    readers += batch.length;
  }
  await writer.flush();
  return { planned: 0, skipped: readers };
});
await close();
console.log(JSON.stringify(outcome));
