/**
 * The baseline of the bench's planning figure, as a process of its own: the planner's in-memory
 * work alone. It ranks every active reader of the bench database for DATE with the planner's own
 * per-reader code (`planReader`: the same ranker, topics, ranking and reasons) and times only
 * that: reading the readers (in the planner's batches) and writing plans are left out. Prints one
 * JSON line {readers, seconds, cpuMs}: cpuMs is this process's CPU while ranking, garbage
 * collection on any thread included.
 *
 *   node [the V8 flags of bin/paperboy.js] --import tsx bench/rank-process.ts DATABASE_URL DATE
 */
import { findDueSubscribers } from '../src/digest/digest.queries.ts';
import { loadRankerForDate, planReader, readerBatches } from '../src/digest/plan.ts';
import { openPlanningDeps } from './deps.ts';

const [url, date] = process.argv.slice(2);
if (!url || !date) throw new Error('usage: rank-process.ts DATABASE_URL DATE');
const { deps, close } = await openPlanningDeps(url);
const digestDate = new Date(`${date}T00:00:00Z`);
const ranker = await loadRankerForDate(deps, digestDate);
let readers = 0;
let milliseconds = 0;
let cpuMicros = 0;
for await (const batch of readerBatches((afterId) => findDueSubscribers(deps.db, digestDate, afterId, 500))) {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const reader of batch) planReader(deps, ranker, reader, digestDate);
  milliseconds += performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  cpuMicros += cpu.user + cpu.system;
  readers += batch.length;
}
await close();
console.log(JSON.stringify({ readers, seconds: milliseconds / 1000, cpuMs: Math.round(cpuMicros / 1000) }));
