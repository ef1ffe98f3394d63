/**
 * The daily job at scale: plan N synthetic readers against M papers (database writes included),
 * render digests from the compiled template (and, as the baseline in the same run, with MJML per
 * email), and send through one worker to an SMTP sink in another process.
 * Prints one JSON line (the last line): {readers, papers, planPerSec, renderPerSec,
 * mjmlPerEmailPerSec, sendPerSec, peakRssMb, …, senderCpuMsPerMessage, sinkCpuMsPerMessage,
 * postgresCpuMsPerMessage}.
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
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import pg from 'pg';
import { isoDate } from '../src/dates.ts';
import { openDatabase } from '../src/db.ts';
import { loadDeliveries } from '../src/digest/digest.queries.ts';
import { compileDigestTemplate } from '../src/digest/render.ts';
import { createSender, deliveryValues, digestMessage } from '../src/digest/send.ts';
import { createMailer } from '../src/mail/mailer.ts';
import { migrate } from '../src/migrate.ts';
import type { Paper } from '../src/papers/paper.ts';
import { findPapersByIds } from '../src/papers/papers.queries.ts';
import { TOPICS } from '../src/topics/taxonomy.ts';
import { syncTopics } from '../src/topics/topics.queries.ts';
import { BENCH_FROM, benchDeps, productNodeFlags } from './deps.ts';
import { distinctInterests, syntheticPapers } from './synthetic.ts';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number`);
  return value;
}
function stringFlag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
const log = (message: string) => process.stderr.write(`${message}\n`);
const seconds = (since: number) => (performance.now() - since) / 1000;
const cpuMicros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

const readers = flag('readers', 20_000);
const paperCount = flag('papers', 500);
const toSend = Math.min(readers, flag('send', 5_000));
const connections = flag('connections', 5);
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
}

/** Runs bench/plan-process.ts and returns the JSON line it prints last. */
async function planInChild(url: string, date: string): Promise<PlanOutcome> {
  const script = fileURLToPath(new URL('./plan-process.ts', import.meta.url));
  const child = spawn(process.execPath, [...productNodeFlags(), '--import', 'tsx', script, url, date], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`planning process exited with ${code}`);
  return JSON.parse(output.trim().split('\n').at(-1) ?? '') as PlanOutcome;
}

/** Drops and creates the bench database. */
async function freshDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
}

/**
 * CPU time so far (ms) of the PostgreSQL backends serving the bench database, read from /proc:
 * null when the server is not on this machine or its processes cannot be read.
 */
async function backendCpuMs(db: pg.Client): Promise<number | null> {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(baseUrl).hostname)) return null;
  const { rows } = await db.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      // utime and stime, fields 14 and 15, counted after the command name's closing parenthesis.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

interface Sink {
  url: string;
  /** The sink's own CPU time so far, in ms. */
  cpuMs(): Promise<number>;
  stop(): void;
}

/** The SMTP sink in its own process. */
async function startSink(): Promise<Sink> {
  const script = fileURLToPath(new URL('./smtp-sink.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const next = () =>
    new Promise<Record<string, number>>((resolve) => lines.once('line', (line) => resolve(JSON.parse(line))));
  const { port } = await next();
  return {
    url: `smtp://127.0.0.1:${port}`,
    async cpuMs() {
      const answer = next();
      child.stdin?.write('count\n');
      return (await answer).cpuMs ?? 0;
    },
    stop: () => child.stdin?.end(),
  };
}

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'Pacific/Chatham',
  'America/Los_Angeles',
  'Australia/Sydney',
];
const INTERESTS = [
  'learning from a handful of labelled examples',
  'running neural networks on small devices',
  'why deep networks generalise',
  'diffusion models for images',
  'message passing on molecules',
  'making large language models cheaper to serve',
];

async function seed(db: pg.Client, papers: Paper[], sentences: readonly string[]): Promise<void> {
  const slugs = TOPICS.map((t) => t.slug);
  await db.query(
    `INSERT INTO subscribers (email, status, timezone, delivery_hour, frequency, max_papers, confirmed_at)
     SELECT 'reader' || i || '@bench.example', 'active', ($2::text[])[1 + i % cardinality($2::text[])],
            i % 24, 'daily', 5 + i % 21, now() - interval '30 days'
     FROM generate_series(1, $1::int) AS i`,
    [readers, ZONES],
  );
  for (let k = 0; k < 3; k++) {
    await db.query(
      `INSERT INTO subscriber_topics (subscriber_id, topic_slug)
       SELECT id, ($1::text[])[1 + abs(hashtext(email || $2::text)) % cardinality($1::text[])]
       FROM subscribers WHERE abs(hashtext(email)) % 3 >= $2::int
       ON CONFLICT DO NOTHING`,
      [slugs, k],
    );
  }
  if (distinct) {
    const { rows } = await db.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM subscribers WHERE abs(hashtext(email)) % 5 = 0',
    );
    await db.query(
      `INSERT INTO interests (subscriber_id, kind, value)
       SELECT id, 'text', ($1::text[])[row_number() OVER (ORDER BY id)]
       FROM subscribers WHERE abs(hashtext(email)) % 5 = 0`,
      [distinctInterests(rows[0]?.count ?? 0, sentences)],
    );
  } else {
    await db.query(
      `INSERT INTO interests (subscriber_id, kind, value)
       SELECT id, 'text', ($1::text[])[1 + abs(hashtext(email || 'i')) % cardinality($1::text[])]
       FROM subscribers WHERE abs(hashtext(email)) % 5 = 0`,
      [INTERESTS],
    );
  }
  const columns = [
    'id',
    'title',
    'abstract',
    'authors',
    'categories',
    'keywords',
    'page_url',
    'sources',
    'first_seen_at',
    'upvotes',
  ];
  for (let i = 0; i < papers.length; i += 100) {
    const chunk = papers.slice(i, i + 100);
    const values = chunk.flatMap((p) => [
      p.id,
      p.title,
      p.abstract,
      p.authors,
      p.categories,
      p.keywords,
      p.pageUrl,
      ['bench'],
      p.firstSeenAt,
      p.upvotes,
    ]);
    const rows = chunk.map(
      (_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`,
    );
    await db.query(`INSERT INTO papers (${columns.join(', ')}) VALUES ${rows.join(', ')}`, values);
  }
}

async function main(): Promise<void> {
  const now = new Date();
  log(
    `bench: ${readers} readers${distinct ? ' (distinct interests)' : ''}, ${paperCount} papers, sending ${toSend} through ${connections} connections`,
  );
  await freshDatabase(baseUrl);
  const database = await openDatabase(baseUrl, '');
  await migrate(database);
  await syncTopics(database.prisma);
  const raw = new pg.Client({ connectionString: baseUrl });
  await raw.connect();
  let started = performance.now();
  const day = syntheticPapers(paperCount, new Date(now.getTime() - 3_600_000));
  await seed(raw, day.papers as Paper[], day.sentences);
  // A live table has statistics (autovacuum analyses it); without them Postgres reads the whole
  // table for every batch of readers (1.3 s per batch at 1,000,000 readers).
  await raw.query('ANALYZE');
  log(`seeded in ${seconds(started).toFixed(1)} s`);

  const sink = smtpFlag ? undefined : await startSink();
  const mailer = createMailer(smtpFlag ?? (sink?.url as string), BENCH_FROM, {
    maxConnections: connections,
  });
  const deps = benchDeps(database.prisma, mailer);

  // Plan: every reader, for today, database writes included, in a process of its own (as a
  // scheduler plans), so its peak memory is the planner's and not the bench's.
  const plan = await planInChild(baseUrl, isoDate(now));
  const planSeconds = plan.seconds;
  log(`planned ${plan.planned} (skipped ${plan.skipped}) in ${planSeconds.toFixed(1)} s`);

  // Render: the compiled template, then MJML per email as the naive baseline.
  const sampleIds = (
    await deps.db.delivery.findMany({ where: { status: 'planned' }, take: 1_000, select: { id: true } })
  ).map((d) => d.id);
  const batch = await loadDeliveries(deps.db, sampleIds);
  const papers = new Map(
    (await findPapersByIds(deps.db, [...new Set(batch.flatMap((d) => d.papers.map((p) => p.paperId)))])).map(
      (p) => [p.id, p],
    ),
  );
  const template = await compileDigestTemplate();
  const listOptions = { listId: 'Paperboy digest <digest.paperboy.example>', unsubscribeMailto: undefined };
  // CPU time as well as wall time: on a shared machine the wall clock measures the neighbours too.
  const renderCpuBefore = process.cpuUsage();
  started = performance.now();
  let bytes = 0;
  for (const delivery of batch)
    bytes += digestMessage(deps, template, delivery, papers, listOptions).html.length;
  const renderPerSec = batch.length / seconds(started);
  const renderCpuUs = cpuMicros(process.cpuUsage(renderCpuBefore)) / batch.length;
  const mjmlSource = readFileSync(new URL('../templates/emails/digest.mjml', import.meta.url), 'utf8');
  const fillMjml = Handlebars.create().compile(mjmlSource);
  const naive = batch.slice(0, 20);
  const mjmlCpuBefore = process.cpuUsage();
  started = performance.now();
  for (const delivery of naive)
    await mjml2html(fillMjml(deliveryValues(deps, delivery, papers)), { validationLevel: 'skip' });
  const mjmlPerEmailPerSec = naive.length / seconds(started);
  const mjmlCpuUs = cpuMicros(process.cpuUsage(mjmlCpuBefore)) / naive.length;

  // Send: one worker, state updates included; only the first `toSend` rows stay queued.
  await raw.query(
    `UPDATE deliveries SET status = 'skipped', last_error = 'not in the send sample'
     WHERE status = 'planned' AND id NOT IN (SELECT id FROM deliveries WHERE status = 'planned' ORDER BY planned_at LIMIT $1)`,
    [toSend],
  );
  const sender = createSender(deps, { maxConnections: connections, batchSize: 100 });
  const sinkCpuBefore = (await sink?.cpuMs()) ?? 0;
  const backendCpuBefore = await backendCpuMs(raw);
  const cpuBefore = process.cpuUsage();
  started = performance.now();
  const sent = await sender.drain();
  const sendSeconds = seconds(started);
  const cpu = process.cpuUsage(cpuBefore);
  const sinkCpuMs = ((await sink?.cpuMs()) ?? 0) - sinkCpuBefore;
  const backendCpuAfter = await backendCpuMs(raw);
  const postgresCpuMs =
    backendCpuBefore === null || backendCpuAfter === null ? null : backendCpuAfter - backendCpuBefore;
  await sender.stop();
  log(`sent ${sent.sent} (failed ${sent.failed}, deferred ${sent.deferred}) in ${sendSeconds.toFixed(1)} s`);

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
      renderPerSec: Math.round(renderPerSec),
      mjmlPerEmailPerSec: Number(mjmlPerEmailPerSec.toFixed(1)),
      sendPerSec: Math.round(sent.sent / sendSeconds),
      peakRssMb: Math.round(peakRss / 1_048_576),
      planPeakRssMb: plan.maxRssMb,
      planCpuMsPerReader: Number((plan.cpuMs / (plan.planned + plan.skipped)).toFixed(3)),
      renderSpeedup: Math.round(renderPerSec / mjmlPerEmailPerSec),
      avgHtmlKb: Number((bytes / batch.length / 1024).toFixed(1)),
      // The same comparison by this process's CPU time (all its threads, GC included).
      renderCpuUsPerMessage: Math.round(renderCpuUs),
      mjmlCpuMsPerEmail: Number((mjmlCpuUs / 1000).toFixed(2)),
      renderCpuSpeedup: Math.round(mjmlCpuUs / renderCpuUs),
      sent: sent.sent,
      connections,
      // Where the send time goes: CPU per message in this process and in the sink's.
      senderCpuMsPerMessage: Number(((cpu.user + cpu.system) / 1000 / sent.sent).toFixed(2)),
      sinkCpuMsPerMessage: sink ? Number((sinkCpuMs / sent.sent).toFixed(2)) : null,
      // The bench database's PostgreSQL backends (state updates, claims, loads), when on this machine.
      postgresCpuMsPerMessage: postgresCpuMs === null ? null : Number((postgresCpuMs / sent.sent).toFixed(2)),
    }),
  );
}

await main();
