/**
 * The bench's planning phase as its own process, as a scheduler runs it: plans every active reader
 * of the bench database for DATE (database writes included) and prints one JSON line
 * {planned, skipped, seconds, cpuMs, maxRssMb, postgresCpuMs}. maxRssMb is this process's own peak,
 * so it is the planner's memory, not the bench's (seeding, the MJML baseline, the SMTP sink);
 * postgresCpuMs is what the database's sessions used meanwhile (null when the server is elsewhere).
 *
 *   node [the V8 flags of bin/paperboy.js] --import tsx bench/plan-process.ts DATABASE_URL DATE
 */
import { rawSql } from '../src/db.ts';
import { runDigest } from '../src/digest/run.ts';
import { backendCpuMs, openPlanningDeps } from './deps.ts';

const [url, date] = process.argv.slice(2);
if (!url || !date) throw new Error('usage: plan-process.ts DATABASE_URL DATE');
const { deps, close } = await openPlanningDeps(url);
// The planner's sessions are opened as it goes; the database's CPU counts from here.
const postgresQuery = (text: string) => rawSql(deps.db).query<{ pid: number }>(text);
const postgresBefore = await backendCpuMs(url, postgresQuery);
const cpuBefore = process.cpuUsage();
const started = performance.now();
const plan = await runDigest(deps, { date, planOnly: true });
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const postgresAfter = await backendCpuMs(url, postgresQuery);
await close();
console.log(
  JSON.stringify({
    planned: plan.planned,
    skipped: plan.skipped,
    seconds,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    // resourceUsage().maxRSS is in kilobytes.
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    postgresCpuMs: postgresBefore === null || postgresAfter === null ? null : postgresAfter - postgresBefore,
  }),
);
