/**
 * The daily job at scale: plan N synthetic readers against M papers (database writes included;
 * with two baselines in the same run, ranking alone and the planner's reads and writes alone),
 * render digests from the compiled template (and, as the baseline in the same run, with MJML per
 * email), and send through one worker to an SMTP sink in another process; then, where Postfix's
 * smtp-source is installed, push as many messages of the same size through as many connections
 * into the same sink: the ceiling for a sender, measured in the same run.
 * Prints one JSON line (the last line): {readers, papers, planPerSec, renderPerSec,
 * mjmlPerEmailPerSec, sendPerSec, peakRssMb, …, senderCpuMsPerMessage, sinkCpuMsPerMessage,
 * postgresCpuMsPerMessage, avgMessageKb, smtpSourcePerSec, sendVsSmtpSource}.
 *
 *   npm run bench -- --readers 20000 --papers 500 [--send 5000] [--connections 5] [--smtp URL]
 *     [--distinct-interests]
 *
 * By default the readers with a free-text interest share six; with --distinct-interests each
 * writes their own, as real readers do, so the ranking's per-run caches grow with the readers.
 *
 * It uses its own database (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/paperboy_bench),
 * dropped and created afresh on every run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import pg from 'pg';
import { isoDate } from '../src/dates.ts';
import type { Deps } from '../src/deps.ts';
import { loadDeliveries, type RenderableDelivery } from '../src/digest/digest.queries.ts';
import { compileDigestTemplate } from '../src/digest/render.ts';
import { createSender, deliveryValues, digestMessage } from '../src/digest/send.ts';
import { createMailer } from '../src/mail/mailer.ts';
import type { Paper } from '../src/papers/paper.ts';
import { findPapersByIds } from '../src/papers/papers.queries.ts';
import { BENCH_FROM, backendCpuMs, benchDeps, flag, productNodeFlags, stringFlag } from './deps.ts';
import { seededDatabase } from './seed.ts';

const log = (message: string) => process.stderr.write(`${message}\n`);
const seconds = (since: number) => (performance.now() - since) / 1000;
const cpuMicros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;
const perReader = (ms: number, readers: number) => Number((ms / readers).toFixed(3));

const readers = flag('readers', 20_000);
const paperCount = flag('papers', 500);
const toSend = Math.min(readers, flag('send', 5_000));
const connections = flag('connections', 5);
const warmupCpuSeconds = flag('warmup', 3, 0);
const smtpFlag = stringFlag('smtp');
const distinct = process.argv.includes('--distinct-interests');
const baseUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/paperboy_bench';

/** This process's peak (seeding, rendering, sending); the planner's own is planPeakRssMb. */
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

interface PlanOutcome {
  planned: number;
  skipped: number;
  seconds: number;
  cpuMs: number;
  maxRssMb: number;
  postgresCpuMs: number | null;
}

interface RankOutcome {
  readers: number;
  seconds: number;
  cpuMs: number;
}

/** Runs a bench process (`plan-process.ts`, `rank-process.ts`, `write-process.ts`) with the product's V8 flags; returns the JSON line it prints last. */
async function inChild<T>(file: string, url: string, date: string): Promise<T> {
  const script = fileURLToPath(new URL(file, import.meta.url));
  const child = spawn(process.execPath, [...productNodeFlags(), '--import', 'tsx', script, url, date], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${file} exited with ${code}`);
  return JSON.parse(output.trim().split('\n').at(-1) ?? '') as T;
}

interface SinkStats {
  /** Messages received so far. */
  received: number;
  /** Their bytes, as the client meant them. */
  bytes: number;
  /** The sink's own CPU time so far. */
  cpuMs: number;
}

interface Sink {
  url: string;
  stats(): Promise<SinkStats>;
  stop(): void;
}

/** The SMTP sink in its own process. */
async function startSink(): Promise<Sink> {
  const script = fileURLToPath(new URL('./smtp-sink.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const next = <T>() => new Promise<T>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line))));
  const { port } = await next<{ port: number }>();
  return {
    url: `smtp://127.0.0.1:${port}`,
    async stats() {
      const answer = next<SinkStats>();
      child.stdin?.write('count\n');
      return answer;
    },
    stop: () => child.stdin?.end(),
  };
}

/** Postfix's smtp-source (Debian's postfix package), on PATH or in /usr/sbin where Debian puts it. */
function findSmtpSource(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin']) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'smtp-source'), constants.X_OK);
      return join(dir, 'smtp-source');
    } catch {}
  }
  return undefined;
}

/** What smtp-source adds to its -l payload (its header lines), as the sink counts it: -l 1000 arrives as 1,156 bytes. */
const SMTP_SOURCE_HEADER_BYTES = 156;

/**
 * Runs smtp-source against `url`: `messages` messages of `payloadBytes` each, over `sessions`
 * connections kept open between messages (-d), as the pooled transport does. A C client that
 * does nothing but SMTP, so its rate is what the sink can take: the ceiling for a sender here.
 * Returns the wall seconds it took.
 */
async function runSmtpSource(
  program: string,
  url: string,
  options: { messages: number; sessions: number; payloadBytes: number },
): Promise<number> {
  const { hostname, port } = new URL(url);
  const args = [
    '-d',
    ...['-s', String(options.sessions), '-m', String(options.messages), '-l', String(options.payloadBytes)],
    ...['-M', 'paperboy.example', '-f', 'bench@paperboy.example', '-t', 'reader@bench.example'],
    `${hostname}:${port}`,
  ];
  const started = performance.now();
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`smtp-source exited with ${code}`);
  return seconds(started);
}

/** A delivery with the papers of the batch it was loaded in. */
interface Renderable {
  delivery: RenderableDelivery;
  papers: ReadonlyMap<string, Paper>;
}

/** Deliveries in `ids` order, loaded with their papers per batch of 100 as the worker loads them. */
async function loadLikeWorker(deps: Deps, ids: string[]): Promise<Renderable[]> {
  const loaded: Renderable[] = [];
  for (let at = 0; at < ids.length; at += 100) {
    const batch = await loadDeliveries(deps.db, ids.slice(at, at + 100));
    const paperIds = [...new Set(batch.flatMap((d) => d.papers.map((p) => p.paperId)))];
    const papers = new Map((await findPapersByIds(deps.db, paperIds)).map((p) => [p.id, p]));
    for (const delivery of batch) loaded.push({ delivery, papers });
  }
  return loaded;
}

/** Runs `run` over `items`: per item, wall-clock rate and CPU µs of this process (all threads, GC included). */
async function timed<T>(items: Renderable[], run: (items: Renderable[]) => Promise<T>) {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await run(items);
  const perSec = items.length / seconds(started);
  const cpuMs = cpuMicros(process.cpuUsage(cpuBefore)) / 1000;
  return { perSec, cpuUs: (cpuMs * 1000) / items.length, cpuMs, result };
}

/**
 * Renders `items` in order from `start`, round and round, until `run` has had `cpuMs` of this
 * process's CPU; returns how many it rendered.
 */
async function warmUp(
  items: Renderable[],
  start: number,
  cpuMs: number,
  run: (items: Renderable[]) => Promise<unknown>,
): Promise<number> {
  const before = process.cpuUsage();
  let next = start;
  let count = 0;
  while (items.length > 0 && cpuMicros(process.cpuUsage(before)) < cpuMs * 1000) {
    const at = next % items.length;
    const chunk = items.slice(at, at + 10);
    await run(chunk);
    next = at + chunk.length;
    count += chunk.length;
  }
  return count;
}

/** How many digests the compiled template's figure is timed on, and how many emails MJML's is. */
const RENDER_SAMPLE = 5_000;
const MJML_SAMPLE = 100;

async function main(): Promise<void> {
  const now = new Date();
  log(
    `bench: ${readers} readers${distinct ? ' (distinct interests)' : ''}, ${paperCount} papers, sending ${toSend} through ${connections} connections`,
  );
  let started = performance.now();
  const database = await seededDatabase(baseUrl, { readers, distinct, paperCount, now });
  const raw = new pg.Client({ connectionString: baseUrl });
  await raw.connect();
  log(`seeded in ${seconds(started).toFixed(1)} s`);

  const sink = smtpFlag ? undefined : await startSink();
  const mailer = createMailer(smtpFlag ?? (sink?.url as string), BENCH_FROM, {
    maxConnections: connections,
  });
  const deps = benchDeps(database.prisma, mailer);

  // The baseline of planning: the planner's in-memory work alone (ranking every reader with the
  // planner's own code, no reads or writes timed), in a fresh process of its own.
  const rankOnly = await inChild<RankOutcome>('./rank-process.ts', baseUrl, isoDate(now));
  log(`ranked ${rankOnly.readers} in memory in ${rankOnly.seconds.toFixed(1)} s`);
  // The other baseline: the planner's reads and writes alone (every reader read and written, with
  // no papers, and nobody ranked), in a process of its own; its rows are then deleted, as
  // autovacuum would clean up after them.
  const writeOnly = await inChild<PlanOutcome>('./write-process.ts', baseUrl, isoDate(now));
  await raw.query('TRUNCATE deliveries');
  await raw.query('VACUUM ANALYZE deliveries');
  log(`wrote ${writeOnly.skipped} empty plans in ${writeOnly.seconds.toFixed(1)} s`);
  // Plan: every reader, for today, database writes included, in a process of its own (as a
  // scheduler plans), so its peak memory is the planner's and not the bench's.
  const plan = await inChild<PlanOutcome>('./plan-process.ts', baseUrl, isoDate(now));
  const planSeconds = plan.seconds;
  log(`planned ${plan.planned} (skipped ${plan.skipped}) in ${planSeconds.toFixed(1)} s`);

  // Render: the compiled template, then MJML per email as the naive baseline, each measured warm.
  // A worker renders millions of digests in one process; a fresh process pays once for what its
  // first messages meet: V8 optimises a function after some thousands of calls, on background
  // threads (~185 ms of a cold 1,000-digest pass's ~380 ms CPU ran on them), and MJML's first 20
  // emails cost ~2.5x its later ones. So each path first renders the same 1,000 warm-up deliveries
  // (round and round) for the same `--warmup` seconds of CPU (default 3; 0 measures cold), which
  // brings both to their plateau (MJML's ~150 emails, ours ~3,000 messages); the cold figures, the
  // warm-up's first 1,000 digests and first 20 emails, are printed too. Papers are loaded per
  // batch of 100 as the worker loads them, so each measured batch gets its papers as new objects.
  // The measured samples are 5,000 digests (~0.2 s) and 100 emails (~0.6 s): with 1,000 and 20,
  // one garbage collection more or less on either side moved the ratio between 76x and 261x.
  const sampleIds = (
    await deps.db.delivery.findMany({
      where: { status: 'planned' },
      take: 1_000 + RENDER_SAMPLE,
      select: { id: true },
    })
  ).map((d) => d.id);
  const warm = warmupCpuSeconds > 0 ? await loadLikeWorker(deps, sampleIds.slice(0, 1_000)) : [];
  const measured = await loadLikeWorker(deps, sampleIds.slice(warm.length, warm.length + RENDER_SAMPLE));
  const template = await compileDigestTemplate();
  const listOptions = { listId: 'Paperboy digest <digest.paperboy.example>', unsubscribeMailto: undefined };
  const renderEach = async (items: Renderable[]) => {
    let bytes = 0;
    for (const { delivery, papers } of items)
      bytes += digestMessage(deps, template, delivery, papers, listOptions).html.length;
    return bytes;
  };
  const renderCold = await timed(warm, renderEach);
  const renderWarmup =
    warm.length + (await warmUp(warm, 0, warmupCpuSeconds * 1000 - renderCold.cpuMs, renderEach));
  const render = await timed(measured, renderEach);
  const mjmlSource = readFileSync(new URL('../templates/emails/digest.mjml', import.meta.url), 'utf8');
  const fillMjml = Handlebars.create().compile(mjmlSource);
  const mjmlEach = async (items: Renderable[]) => {
    for (const { delivery, papers } of items)
      await mjml2html(fillMjml(deliveryValues(deps, delivery, papers)), { validationLevel: 'skip' });
  };
  const mjmlCold = await timed(warm.slice(0, 20), mjmlEach);
  const mjmlWarmup =
    Math.min(20, warm.length) + (await warmUp(warm, 20, warmupCpuSeconds * 1000 - mjmlCold.cpuMs, mjmlEach));
  const mjml = await timed(measured.slice(0, MJML_SAMPLE), mjmlEach);

  // Send: one worker, state updates included; only the first `toSend` rows stay queued.
  await raw.query(
    `UPDATE deliveries SET status = 'skipped', last_error = 'not in the send sample'
     WHERE status = 'planned' AND id NOT IN (SELECT id FROM deliveries WHERE status = 'planned' ORDER BY planned_at LIMIT $1)`,
    [toSend],
  );
  // As autovacuum would after that update: otherwise every claim walks the queue index's dead
  // entries of every row just set aside (~2 ms of PostgreSQL per message at 1,000,000 readers).
  await raw.query('VACUUM deliveries');
  const sender = createSender(deps, { maxConnections: connections, batchSize: 100 });
  const sinkBefore = await sink?.stats();
  const backendCpuBefore = await backendCpuMs(baseUrl, (text) =>
    raw.query(text).then((result) => result.rows),
  );
  const cpuBefore = process.cpuUsage();
  started = performance.now();
  const sent = await sender.drain();
  const sendSeconds = seconds(started);
  const cpu = process.cpuUsage(cpuBefore);
  const sinkAfter = await sink?.stats();
  const sinkCpuMs = (sinkAfter?.cpuMs ?? 0) - (sinkBefore?.cpuMs ?? 0);
  // What the sink received per message: the size smtp-source sends for the ceiling.
  const messageBytes =
    sinkBefore && sinkAfter && sinkAfter.received > sinkBefore.received
      ? (sinkAfter.bytes - sinkBefore.bytes) / (sinkAfter.received - sinkBefore.received)
      : null;
  const backendCpuAfter = await backendCpuMs(baseUrl, (text) =>
    raw.query(text).then((result) => result.rows),
  );
  const postgresCpuMs =
    backendCpuBefore === null || backendCpuAfter === null ? null : backendCpuAfter - backendCpuBefore;
  await sender.stop();
  log(`sent ${sent.sent} (failed ${sent.failed}, deferred ${sent.deferred}) in ${sendSeconds.toFixed(1)} s`);

  // The ceiling: smtp-source pushes the same number of messages of the same size through the
  // same number of connections into the same sink.
  let smtpSourcePerSec: number | null = null;
  const smtpSource = findSmtpSource();
  if (!sink || !sinkAfter || messageBytes === null)
    log("smtp-source ceiling: not measured (only into the bench's own sink, after messages were sent)");
  else if (!smtpSource)
    log('smtp-source ceiling: smtp-source not found; `apt-get install postfix` provides it (in /usr/sbin)');
  else {
    const sourceSeconds = await runSmtpSource(smtpSource, sink.url, {
      messages: sent.sent,
      sessions: connections,
      payloadBytes: Math.max(0, Math.round(messageBytes) - SMTP_SOURCE_HEADER_BYTES),
    });
    const received = (await sink.stats()).received - sinkAfter.received;
    if (received !== sent.sent) throw new Error(`smtp-source: the sink received ${received} of ${sent.sent}`);
    smtpSourcePerSec = sent.sent / sourceSeconds;
    log(`smtp-source sent ${sent.sent} in ${sourceSeconds.toFixed(1)} s`);
  }

  clearInterval(sampler);
  mailer.close();
  sink?.stop();
  await raw.end();
  await database.close();
  console.log(
    JSON.stringify({
      readers,
      papers: paperCount,
      distinctInterests: distinct,
      planPerSec: Math.round((plan.planned + plan.skipped) / planSeconds),
      renderPerSec: Math.round(render.perSec),
      mjmlPerEmailPerSec: Number(mjml.perSec.toFixed(1)),
      sendPerSec: Math.round(sent.sent / sendSeconds),
      peakRssMb: Math.round(peakRss / 1_048_576),
      planPeakRssMb: plan.maxRssMb,
      planCpuMsPerReader: perReader(plan.cpuMs, plan.planned + plan.skipped),
      planPostgresCpuMsPerReader:
        plan.postgresCpuMs === null ? null : perReader(plan.postgresCpuMs, plan.planned + plan.skipped),
      // Ranking alone, with the planner's code on the same readers: planning can be no faster.
      rankOnlyPerSec: Math.round(rankOnly.readers / rankOnly.seconds),
      rankOnlyCpuMsPerReader: perReader(rankOnly.cpuMs, rankOnly.readers),
      planVsRankOnly: Number(
        ((plan.planned + plan.skipped) / planSeconds / (rankOnly.readers / rankOnly.seconds)).toFixed(2),
      ),
      // Reading and writing alone, with the planner's statements and nobody ranked.
      writeOnlyPerSec: Math.round(writeOnly.skipped / writeOnly.seconds),
      writeOnlyCpuMsPerReader: perReader(writeOnly.cpuMs, writeOnly.skipped),
      writeOnlyPostgresCpuMsPerReader:
        writeOnly.postgresCpuMs === null ? null : perReader(writeOnly.postgresCpuMs, writeOnly.skipped),
      // The fastest planning could be on this machine's cores, both busy all the time: ranking and
      // writing each reader cost at least the CPU of the two baselines together.
      planCeilingPerSec:
        writeOnly.postgresCpuMs === null
          ? null
          : Math.round(
              (availableParallelism() * 1000) /
                (rankOnly.cpuMs / rankOnly.readers +
                  (writeOnly.cpuMs + writeOnly.postgresCpuMs) / writeOnly.skipped),
            ),
      renderSpeedup: Math.round(render.perSec / mjml.perSec),
      avgHtmlKb: Number((render.result / measured.length / 1024).toFixed(1)),
      // The same comparison by this process's CPU time (all its threads, GC included).
      renderCpuUsPerMessage: Math.round(render.cpuUs),
      mjmlCpuMsPerEmail: Number((mjml.cpuUs / 1000).toFixed(2)),
      renderCpuSpeedup: Math.round(mjml.cpuUs / render.cpuUs),
      // Each path's warm-up: how many it rendered, and its first 1,000 digests and 20 emails timed
      // (a fresh process's figures; null with --warmup 0).
      renderWarmup,
      mjmlWarmup,
      renderColdCpuUsPerMessage: warm.length > 0 ? Math.round(renderCold.cpuUs) : null,
      mjmlColdCpuMsPerEmail: warm.length > 0 ? Number((mjmlCold.cpuUs / 1000).toFixed(2)) : null,
      renderColdCpuSpeedup: warm.length > 0 ? Math.round(mjmlCold.cpuUs / renderCold.cpuUs) : null,
      sent: sent.sent,
      connections,
      // Where the send time goes: CPU per message in this process and in the sink's.
      senderCpuMsPerMessage: Number(((cpu.user + cpu.system) / 1000 / sent.sent).toFixed(2)),
      sinkCpuMsPerMessage: sink ? Number((sinkCpuMs / sent.sent).toFixed(2)) : null,
      // The bench database's PostgreSQL backends (state updates, claims, loads), when on this machine.
      postgresCpuMsPerMessage: postgresCpuMs === null ? null : Number((postgresCpuMs / sent.sent).toFixed(2)),
      // The raw message as the sink received it, and Postfix's smtp-source sending as many of
      // that size into the same sink in the same run: the ceiling (null without smtp-source).
      avgMessageKb: messageBytes === null ? null : Number((messageBytes / 1024).toFixed(1)),
      smtpSourcePerSec: smtpSourcePerSec === null ? null : Math.round(smtpSourcePerSec),
      sendVsSmtpSource:
        smtpSourcePerSec === null ? null : Number((sent.sent / sendSeconds / smtpSourcePerSec).toFixed(2)),
    }),
  );
}

await main();
