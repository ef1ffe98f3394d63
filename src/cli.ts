/* biome-ignore-all lint/suspicious/noConsole: the CLI's output is its interface */
import { MultiBar } from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { registerAdminCommands } from '../jobs/admin-cli.ts';
import { runDemo } from '../jobs/demo.ts';
import { configuredSources, ingestSources } from '../jobs/ingest.ts';
import { RankInputError, rankedJson, rankFile } from '../jobs/rank.ts';
import { openRuntime, type Runtime } from '../jobs/runtime.ts';
import { startScheduler } from '../jobs/scheduler.ts';
import { startServer } from '../jobs/server.ts';
import { startWorker } from '../jobs/worker.ts';
import { ConfigError, loadConfig, SOURCE_NAMES, type SourceName } from './config.ts';
import { openDatabase } from './db.ts';
import { accountingLine, accountingMismatch, runDigest } from './digest/run.ts';
import { createLogger } from './log.ts';
import { migrate } from './migrate.ts';
import { type IngestResult, ingestFrom } from './papers/ingest.ts';
import { ingestSample } from './papers/sample.ts';
import { FILE_FORMATS, type FileFormat, fileSource } from './papers/sources/file.ts';
import { syncTopics } from './topics/topics.queries.ts';

/** A command line that asks for something impossible; printed as one line, exit code 2. */
class UsageError extends Error {}

const program = new Command('paperboy')
  .description('Trending research papers in your inbox, once a day.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

/** Opens the runtime for a one-shot command, runs it, and always closes what it opened. */
async function withRuntime<T>(
  fn: (runtime: Runtime) => Promise<T>,
  defaultLevel = 'warn',
  options: { mail?: boolean } = {},
): Promise<T> {
  const config = loadConfig();
  const runtime = await openRuntime(config, createLogger(config.logLevel ?? defaultLevel, 2), options);
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

const isoDateArg = (value: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError('expected a date as YYYY-MM-DD');
  }
  return value;
};

interface RankOptions {
  papers: string;
  format?: FileFormat;
  topic: string[];
  interest: string[];
  author: string[];
  exclude: string[];
  limit: number;
  json?: boolean;
}

interface IngestOptions {
  source?: SourceName | 'file';
  date?: string;
  file?: string;
  format?: FileFormat;
  sample?: boolean;
  json?: boolean;
}

/** Picks what `ingest` reads from its options; a bad combination is a usage error. */
async function runIngest(runtime: Runtime, options: IngestOptions): Promise<IngestResult[]> {
  if (options.sample) return [await ingestSample(runtime.deps)];
  const date = options.date ?? new Date().toISOString().slice(0, 10);
  if (options.file || options.source === 'file') {
    if (!options.file || !options.format)
      throw new UsageError('--file PATH and --format hf|arxiv|jsonl go together');
    return [await ingestFrom(runtime.deps, fileSource(options.file, options.format), date)];
  }
  if (options.format) throw new UsageError('--format is for --file');
  const sources = configuredSources(runtime, options.source ? [options.source] : undefined);
  const bar = process.stderr.isTTY
    ? new MultiBar({ format: '{source} | {value} records', stream: process.stderr })
    : undefined;
  const bars = new Map<string, ReturnType<MultiBar['create']>>();
  try {
    return await ingestSources(runtime, sources, date, (progress) => {
      if (!bar) return;
      const line = bars.get(progress.source) ?? bar.create(0, 0, { source: progress.source });
      bars.set(progress.source, line);
      line.update(progress.fetched, { source: progress.source });
    });
  } finally {
    bar?.stop();
  }
}

/** Runs long-lived roles until SIGINT/SIGTERM, then shuts down in order: stop taking work, finish, close. */
async function runService(roles: { http: boolean; scheduler: boolean; worker: boolean }): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel ?? 'info', 1);
  const runtime = await openRuntime(config, log);
  // A port already in use must end the process, not leave the capture server holding it open.
  const server = roles.http
    ? await startServer(runtime).catch(async (error: unknown) => {
        await runtime.close();
        throw error;
      })
    : undefined;
  const task = roles.scheduler
    ? startScheduler(
        runtime.deps,
        {
          tickCron: config.scheduleTickCron,
          ingestCron: config.digestCron,
          timezone: config.digestTimezone,
          maxLatenessHours: config.maxLatenessHours,
        },
        configuredSources(runtime),
        (key, fn) => runtime.database.runExclusive(key, fn),
      )
    : undefined;
  // With HTTP in the same process, /metrics is served there already.
  const worker = roles.worker
    ? await startWorker(runtime, { metricsPort: roles.http ? undefined : config.metricsPort })
    : undefined;
  if (runtime.capture && server)
    log.info({ event: 'mail.capture', outbox: `${config.publicUrl}/outbox`, dir: runtime.capture.dir });
  const stop = async (signal: string) => {
    log.info({ event: 'process.stopping', signal });
    await task?.stop();
    await worker?.stop();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

program
  .command('start')
  .description('serve HTTP, run the scheduler and a send worker, all in one process')
  .option('--no-worker', 'leave sending to separate `worker` processes')
  .action((options: { worker: boolean }) =>
    runService({ http: true, scheduler: true, worker: options.worker }),
  );

program
  .command('serve')
  .description('serve HTTP only')
  .action(() => runService({ http: true, scheduler: false, worker: false }));

program
  .command('scheduler')
  .description(
    'run the scheduler only: ingest daily, plan each reader’s digest at their hour (one plans at a time)',
  )
  .action(() => runService({ http: false, scheduler: true, worker: false }));

program
  .command('worker')
  .description('send planned digests from the queue; run as many as you like')
  .action(() => runService({ http: false, scheduler: false, worker: true }));

program
  .command('migrate')
  .description('apply database migrations and sync the built-in topics')
  .action(async () => {
    const config = loadConfig();
    const database = await openDatabase(config.databaseUrl, config.dataDir);
    try {
      const result = await migrate(database);
      await syncTopics(database.prisma);
      console.log(
        result.applied.length > 0
          ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`
          : `database is up to date (${result.alreadyApplied.length} migration(s))`,
      );
    } finally {
      await database.close();
    }
  });

program
  .command('ingest')
  .description(
    'load papers from the configured sources (SOURCES), one source, a file, or the bundled sample.\n' +
      'Exit code: 0 all stored, 3 some records skipped (see the reasons), 1 a source failed.',
  )
  .addOption(new Option('--source <name>', 'only this source').choices([...SOURCE_NAMES, 'file']))
  .option('--date <YYYY-MM-DD>', 'the day to fetch (default today, UTC)', isoDateArg)
  .option('--file <path>', 'a file to load (with --format)')
  .addOption(new Option('--format <format>', 'the file format').choices([...FILE_FORMATS]))
  .option('--sample', 'load the bundled sample papers (the 119 papers Paperboy grew from)')
  .option('--json', 'print one JSON line per source')
  .action(async (options: IngestOptions) => {
    const results = await withRuntime((runtime) => runIngest(runtime, options), 'warn', { mail: false });
    for (const result of results) {
      console.log(
        options.json
          ? JSON.stringify(result)
          : `${result.source}: fetched ${result.fetched}, created ${result.created}, updated ${result.updated}, unchanged ${result.unchanged}, skipped ${result.skipped}${result.skipped ? ` ${JSON.stringify(result.skippedBy)}` : ''}${result.error ? `; failed: ${result.error}` : ''}`,
      );
    }
    if (results.some((result) => result.errors > 0)) process.exitCode = 1;
    else if (results.some((result) => result.skipped > 0)) process.exitCode = 3;
  });

const collect = (value: string, previous: string[]) => [...previous, value];
const limitArg = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new InvalidArgumentError('expected a whole number from 1 to 100');
  return n;
};

program
  .command('rank')
  .description('rank a file of papers for a reader’s preferences, without a database')
  .requiredOption('--papers <file>', 'papers in the Hugging Face shape, arXiv Atom/RSS, or JSON Lines')
  .addOption(
    new Option('--format <format>', 'the file format (default: from the extension)').choices([
      ...FILE_FORMATS,
    ]),
  )
  .option('--topic <slug>', 'a built-in topic (repeatable)', collect, [])
  .option('--interest <text>', 'a free-text interest (repeatable)', collect, [])
  .option('--author <name>', 'an author to follow (repeatable)', collect, [])
  .option('--exclude <word>', 'a word or phrase to exclude (repeatable)', collect, [])
  .option('--limit <n>', 'how many papers', limitArg, 10)
  .option('--json', 'print a JSON array of {id, title, score, relevance, trending, why}')
  .action(async (options: RankOptions) => {
    let ranked: Awaited<ReturnType<typeof rankFile>>;
    try {
      ranked = await rankFile({
        ...options,
        topics: options.topic,
        interests: options.interest,
        authors: options.author,
        excludes: options.exclude,
        now: new Date(),
      });
    } catch (error) {
      if (error instanceof RankInputError) throw new UsageError(error.message);
      throw error;
    }
    if (options.json) {
      console.log(JSON.stringify(ranked.map(rankedJson), null, 2));
      return;
    }
    if (ranked.length === 0) console.log('No paper matches these preferences.');
    else
      console.table(
        ranked.map((entry) => {
          const row = rankedJson(entry);
          return { score: row.score, title: row.title.slice(0, 70), why: row.why.slice(0, 80) };
        }),
      );
  });

const digest = program.command('digest').description('the daily digest');
digest
  .command('run')
  .description('send the digest for a date (default today) to every active reader who has not had it')
  .option('--date <YYYY-MM-DD>', 'the digest date', isoDateArg)
  .option('--dry-run', 'rank and report, write and send nothing')
  .option('--json', 'print the accounting as JSON')
  .action(async (options: { date?: string; dryRun?: boolean; json?: boolean }) => {
    const bars = process.stderr.isTTY
      ? new MultiBar({ format: '{name} | {value}', stream: process.stderr, hideCursor: true })
      : undefined;
    const lines = bars && {
      planned: bars.create(0, 0, { name: 'planned' }),
      sent: bars.create(0, 0, { name: 'sent   ' }),
      failed: bars.create(0, 0, { name: 'failed ' }),
    };
    const result = await withRuntime((runtime) =>
      runDigest(runtime.deps, {
        ...options,
        onProgress: (progress) => {
          lines?.planned.update(progress.planned);
          lines?.sent.update(progress.sent);
          lines?.failed.update(progress.failed);
        },
      }),
    ).finally(() => bars?.stop());
    const mismatch = result.dryRun ? 0 : accountingMismatch(result);
    if (mismatch !== 0) process.exitCode = 1;
    if (options.json) {
      console.log(JSON.stringify({ ...result, rows: undefined }));
      return;
    }
    if (result.dryRun) {
      console.log(
        `dry run ${result.date}: ${result.candidatePapers} candidate papers; would plan ${result.planned}, skip ${result.skipped}, miss ${result.missed}`,
      );
      return;
    }
    console.log(
      `${result.date}: ${result.candidatePapers} candidate papers; planned ${result.planned}; ${accountingLine(result)}`,
    );
    if (mismatch !== 0)
      console.error('paperboy: the accounting does not add up: some deliveries are unaccounted for');
  });

program
  .command('demo')
  .description(
    "load the sample papers, create three demo readers, and send today's digest to the capture server",
  )
  .action(async () => {
    const started = Date.now();
    await withRuntime(async (runtime) => {
      const { ingest, run, table, emlFiles } = await runDemo(runtime);
      console.log(
        `Sample papers: ${ingest.fetched} (${ingest.created} new). Digest ${run.date}: sent ${run.sent} now.`,
      );
      console.table(
        table.map((row) => ({
          subscriber: row.email,
          topics: row.topics,
          papers: row.papers,
          'top paper': row.topPaper,
          status: row.status,
        })),
      );
      if (emlFiles.length > 0) console.log(`Emails (.eml):\n  ${emlFiles.join('\n  ')}`);
      if (runtime.capture)
        console.log(`Browse them: npm start, then open ${runtime.config.publicUrl}/outbox`);
      else console.log(`Emails went to ${runtime.config.smtpUrl?.replace(/\/\/[^@]*@/, '//')}`);
    });
    console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
  });

registerAdminCommands(program, { withRuntime, UsageError, isoDateArg });

try {
  await program.parseAsync();
} catch (error) {
  process.exitCode = 1;
  if (error instanceof CommanderError) {
    // commander has already printed the usage problem (or the help, which is not an error).
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof ConfigError) {
    for (const problem of error.problems) console.error(`paperboy: config: ${problem}`);
  } else if (error instanceof UsageError) {
    console.error(`paperboy: ${error.message}`);
    process.exitCode = 2;
  } else {
    console.error(`paperboy: ${error instanceof Error ? error.message : String(error)}`);
  }
}
