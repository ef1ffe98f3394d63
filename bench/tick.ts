/**
 * The scheduler's tick at scale: what a tick costs when nobody is due, the case of nearly every
 * minute, with and without the memory a scheduler keeps of its last tick (the baseline: without
 * it, a tick probes every active reader's delivery for their latest slot), in the same run.
 * Seeds N synthetic readers (spread over time zones and hours, confirmed and unchanged for 30
 * days), runs a first tick (it plans the due and records the missed), then alternates idle ticks
 * without and with memory, and ends with a remembered tick after 1 in 1,000 readers moved their
 * delivery hour an hour earlier. Prints one JSON line (the last line): {readers, firstTickSeconds,
 * firstTickPlanned, firstTickMissed, idleTickMs, idleTickPostgresCpuMs, rememberedTickMs,
 * rememberedTickPostgresCpuMs, idleVsRemembered, changedReaders, changedTickMs, changedTickPlanned}.
 * Times are medians of --rounds (default 3).
 *
 *   npm run bench:tick -- [--readers 100000] [--papers 500] [--rounds 3]
 *
 * It uses its own database (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/paperboy_bench),
 * dropped and created afresh on every run.
 */
import { rawSql } from '../src/db.ts';
import type { TickMemory } from '../src/digest/plan.ts';
import { runDigest } from '../src/digest/run.ts';
import { backendCpuMs, flag, openPlanningDeps } from './deps.ts';
import { seededDatabase } from './seed.ts';

const readers = flag('readers', 100_000);
const paperCount = flag('papers', 500);
const rounds = flag('rounds', 3);
const url = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/paperboy_bench';
const log = (message: string) => process.stderr.write(`${message}\n`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

const seeding = await seededDatabase(url, { readers, distinct: false, paperCount, now: new Date() });
await seeding.close();
const { deps, close } = await openPlanningDeps(url);
const postgresCpu = () => backendCpuMs(url, (text) => rawSql(deps.db).query<{ pid: number }>(text));

/** One tick as the scheduler runs it (jobs/scheduler.ts; the product's lateness, 6 hours), timed. */
async function tick(memory: TickMemory | undefined) {
  const postgresBefore = await postgresCpu();
  const started = performance.now();
  const run = await runDigest(deps, { tick: { maxLatenessHours: 6, memory }, planOnly: true });
  const ms = performance.now() - started;
  const postgresAfter = await postgresCpu();
  const postgresMs =
    postgresBefore === null || postgresAfter === null ? null : postgresAfter - postgresBefore;
  return { ms, postgresMs, planned: run.planned + run.skipped, missed: run.missed };
}

const memory: TickMemory = {};
const first = await tick(memory);
log(`first tick: ${first.planned} planned, ${first.missed} missed in ${(first.ms / 1000).toFixed(1)} s`);
const idle: Awaited<ReturnType<typeof tick>>[] = [];
const remembered: Awaited<ReturnType<typeof tick>>[] = [];
for (let round = 0; round < rounds; round++) {
  idle.push(await tick(undefined));
  remembered.push(await tick(memory));
}
// Readers who move their hour an hour earlier: those whose new slot has come today are due now.
const changedReaders = Math.max(1, Math.floor(readers / 1_000));
await rawSql(deps.db).query(
  `UPDATE subscribers SET delivery_hour = (delivery_hour + 23) % 24
   WHERE id IN (SELECT id FROM subscribers ORDER BY md5(id::text) LIMIT $1)`,
  [changedReaders],
);
const changed = await tick(memory);
await close();

const idleMs = median(idle.map((t) => t.ms));
const rememberedMs = median(remembered.map((t) => t.ms));
const cpu = (ticks: typeof idle) =>
  ticks.every((t) => t.postgresMs !== null) ? median(ticks.map((t) => t.postgresMs as number)) : null;
console.log(
  JSON.stringify({
    readers,
    firstTickSeconds: Number((first.ms / 1000).toFixed(1)),
    firstTickPlanned: first.planned,
    firstTickMissed: first.missed,
    idleTickMs: Math.round(idleMs),
    // Read from /proc, in 10 ms ticks: 0 is under 10 ms.
    idleTickPostgresCpuMs: cpu(idle),
    rememberedTickMs: Math.round(rememberedMs),
    rememberedTickPostgresCpuMs: cpu(remembered),
    idleVsRemembered: Math.round(idleMs / rememberedMs),
    changedReaders,
    changedTickMs: Math.round(changed.ms),
    changedTickPlanned: changed.planned + changed.missed,
  }),
);
