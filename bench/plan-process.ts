/**
 * The bench's planning phase as its own process, as a scheduler runs it: plans every active reader
 * of the bench database for DATE (database writes included) and prints one JSON line
 * {planned, skipped, seconds, cpuMs, maxRssMb, postgresCpuMs}. maxRssMb is this process's own peak,
 * so it is the planner's memory, not the bench's (seeding, the MJML baseline, the SMTP sink);
 * postgresCpuMs is what the database's sessions used meanwhile (null when the server is elsewhere).
 *
 *   node [the V8 flags of bin/paperboy.js] --import tsx bench/plan-process.ts DATABASE_URL DATE
 */
import { runDigest } from '../src/digest/run.ts';
import { measuredProcess, openPlanningDeps } from './deps.ts';

const [url, date] = process.argv.slice(2);
if (!url || !date) throw new Error('usage: plan-process.ts DATABASE_URL DATE');
const { deps, close } = await openPlanningDeps(url);
const outcome = await measuredProcess(deps, url, async () => {
  const plan = await runDigest(deps, { date, planOnly: true });
  return { planned: plan.planned, skipped: plan.skipped };
});
await close();
console.log(JSON.stringify(outcome));
