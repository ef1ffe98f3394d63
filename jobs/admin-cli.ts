/* biome-ignore-all lint/suspicious/noConsole: the CLI's output is its interface */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { exportSubscribers } from '../src/admin/export.ts';
import { ImportFileError, type ImportResult, importSubscribers } from '../src/admin/import.ts';
import { removeSubscriber } from '../src/admin/remove.ts';
import { sendTestDigest } from '../src/admin/send-test.ts';
import { collectStats } from '../src/admin/stats.ts';
import { previewDigest } from '../src/digest/preview.ts';
import { SubscriberStatus } from '../src/generated/prisma/enums.ts';
import { LinkRequestSchema } from '../src/subscribers/subscribe.schema.ts';
import { printImport, printStats } from './admin-output.ts';
import type { Runtime } from './runtime.ts';

/** What the admin commands borrow from the CLI's entry point (src/cli.ts). */
export interface AdminCliHelpers {
  withRuntime<T>(
    fn: (runtime: Runtime) => Promise<T>,
    defaultLevel?: string,
    options?: { mail?: boolean },
  ): Promise<T>;
  /** Thrown for a usage mistake: one line on stderr, exit code 2. */
  UsageError: new (
    message: string,
  ) => Error;
  /** commander's argument parser for YYYY-MM-DD. */
  isoDateArg: (value: string) => string;
}

const STATUSES = Object.values(SubscriberStatus);
const NO_MAIL = { mail: false };

/** Registers `subscribers import|export|remove`, `stats`, `preview` and `send-test` on `program`. */
export function registerAdminCommands(program: Command, helpers: AdminCliHelpers): void {
  const subscribers = program.command('subscribers').description('import, export and remove subscribers');
  registerImport(subscribers, helpers);
  registerExport(subscribers, helpers);
  registerRemove(subscribers, helpers);
  registerStats(program, helpers);
  registerPreview(program, helpers);
  registerSendTest(program, helpers);
}

/** The address in `value`, lowercased; anything else is a usage error naming `what`. */
function address(helpers: AdminCliHelpers, value: string, what: string): string {
  const parsed = LinkRequestSchema.safeParse({ email: value.trim() });
  if (!parsed.success) throw new helpers.UsageError(`${what} must be a valid email address`);
  return parsed.data.email;
}

function registerImport(parent: Command, { withRuntime, UsageError }: AdminCliHelpers): void {
  parent
    .command('import')
    .description(
      'import subscribers from a CSV file with a header row: email (required), topics, interests, authors, ' +
        'excludes (lists separated by ";"), timezone, delivery_hour, frequency, delivery_weekday, max_papers.\n' +
        'New addresses get the double opt-in email, or with --confirmed become active at once. Existing, ' +
        'unsubscribed, bounced, complained and suppressed addresses are left as they are.\n' +
        'Exit code: 0 every row imported or already present, 3 some rows had errors, 2 the file cannot be read.',
    )
    .argument('<file>', 'the CSV file')
    .option('--confirmed', 'you have these readers’ consent: make them active and send no confirmation email')
    .option(
      '--json',
      'print {rows, imported, existing, skipped, skippedBy, notes, errors, confirmationsSent, …}',
    )
    .action(async (file: string, options: { confirmed?: boolean; json?: boolean }) => {
      const confirmed = options.confirmed === true;
      const result = await withRuntime((runtime) => runImport(runtime, file, confirmed), 'warn', {
        mail: !confirmed,
      }).catch((error: unknown) => {
        throw error instanceof ImportFileError ? new UsageError(error.message) : error;
      });
      if (options.json) console.log(JSON.stringify(result));
      else printImport(result);
      if (result.errors.length > 0 || result.confirmationsFailed.length > 0) process.exitCode = 3;
    });
}

/** Runs the import with a progress bar on stderr when a person is watching. */
async function runImport(runtime: Runtime, file: string, confirmed: boolean): Promise<ImportResult> {
  const bar = process.stderr.isTTY
    ? new SingleBar({ format: 'import | {bar} | {value}/{total} rows', stream: process.stderr })
    : undefined;
  try {
    return await importSubscribers(runtime.deps, {
      file,
      confirmed,
      onProgress: (done, total) => {
        if (!bar) return;
        if (bar.getTotal() !== total) bar.start(total, 0);
        bar.update(done);
      },
    });
  } finally {
    bar?.stop();
  }
}

function registerExport(parent: Command, { withRuntime }: AdminCliHelpers): void {
  parent
    .command('export')
    .description('write subscribers and their preferences as CSV, in the columns `subscribers import` reads')
    .option('--out <file>', 'write to this file instead of stdout')
    .addOption(
      new Option('--status <status>', 'only subscribers with this status, or all')
        .choices([...STATUSES, 'all'])
        .default('active'),
    )
    .action(async (options: { out?: string; status: SubscriberStatus | 'all' }) => {
      const statuses = options.status === 'all' ? STATUSES : [options.status];
      const count = await withRuntime(
        (runtime) =>
          options.out
            ? exportSubscribers(runtime.deps, statuses, createWriteStream(options.out))
            : exportSubscribers(runtime.deps, statuses, process.stdout, { end: false }),
        'warn',
        NO_MAIL,
      );
      if (options.out) console.log(`wrote ${count} subscriber(s) to ${options.out}`);
    });
}

function registerRemove(parent: Command, helpers: AdminCliHelpers): void {
  parent
    .command('remove')
    .description(
      'erase a subscriber, their preferences, deliveries and consent records, as "Delete my data" does; ' +
        'only a hash of the address stays, on the suppression list. An unknown address: exit code 1',
    )
    .argument('<email>', 'the address')
    .option('--json', 'print {removed, suppressed}')
    .action(async (value: string, options: { json?: boolean }) => {
      const email = address(helpers, value, 'EMAIL');
      const outcome = await helpers.withRuntime(
        (runtime) => removeSubscriber(runtime.deps, email),
        'warn',
        NO_MAIL,
      );
      if (!outcome.removed)
        throw new Error(
          `no subscriber with that address${outcome.suppressed ? ' (it is on the suppression list)' : ''}`,
        );
      if (options.json) console.log(JSON.stringify({ removed: email, suppressed: true }));
      else console.log(`removed ${email}; its hash stays on the suppression list`);
    });
}

function registerStats(program: Command, { withRuntime }: AdminCliHelpers): void {
  program
    .command('stats')
    .description(
      'subscribers by status, digests per day for the last 14 days (UTC), bounce rate (last 30 days) and complaint rate',
    )
    .option('--json', 'print the figures as JSON')
    .action(async (options: { json?: boolean }) => {
      const stats = await withRuntime((runtime) => collectStats(runtime.deps), 'warn', NO_MAIL);
      if (options.json) console.log(JSON.stringify(stats));
      else printStats(stats);
    });
}

function registerPreview(program: Command, helpers: AdminCliHelpers): void {
  program
    .command('preview')
    .description(
      "write the HTML of a reader's digest for a date without sending it or changing anything: the stored " +
        'delivery when there is one, else ranked now as `digest run` would. An unknown address: exit code 1',
    )
    .requiredOption('--email <address>', 'the reader')
    .option('--date <YYYY-MM-DD>', 'the digest date (default today, UTC)', helpers.isoDateArg)
    .option('--out <file>', 'write the HTML to this file instead of stdout')
    .action(async (options: { email: string; date?: string; out?: string }) => {
      const email = address(helpers, options.email, '--email');
      const { preview, date } = await helpers.withRuntime(
        async (runtime) => {
          const date = options.date ?? runtime.deps.now().toISOString().slice(0, 10);
          return { date, preview: await previewDigest(runtime.deps, email, date) };
        },
        'warn',
        NO_MAIL,
      );
      if (preview.kind === 'unknown') throw new Error('no subscriber with that address');
      const source = preview.deliveryStatus
        ? `their ${preview.deliveryStatus} delivery`
        : `ranked from ${preview.candidates} candidate paper(s)`;
      if (preview.kind === 'empty') {
        const why = preview.deliveryStatus ? `${source} has no papers` : `nothing matches, ${source}`;
        console.error(`paperboy: no digest for ${email} on ${date}: ${why}; nothing written`);
        return;
      }
      const about = `${date}, ${preview.papers.length} paper(s), ${source}; reader is ${preview.readerStatus}`;
      if (options.out) {
        await writeFile(options.out, preview.html);
        console.log(`wrote ${options.out}: ${about}`);
        return;
      }
      process.stdout.write(preview.html);
      console.error(`paperboy: preview ${about}`);
    });
}

function registerSendTest(program: Command, helpers: AdminCliHelpers): void {
  program
    .command('send-test')
    .description(
      'send a sample digest (from the bundled sample papers) through the configured SMTP relay; ' +
        'creates no subscriber and no delivery, and its links point at PUBLIC_URL',
    )
    .requiredOption('--to <address>', 'where to send it')
    .action(async (options: { to: string }) => {
      const to = address(helpers, options.to, '--to');
      const { result, relay } = await helpers.withRuntime(async (runtime) => {
        const relay =
          runtime.config.smtpUrl?.replace(/\/\/[^@]*@/, '//') ??
          `the capture server (${runtime.capture?.dir})`;
        try {
          return { result: await sendTestDigest(runtime.deps, to), relay };
        } catch (error) {
          throw new Error(
            `${relay} did not take it: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      });
      console.log(`sent to ${to} via ${relay}: ${result.response} (Message-ID ${result.messageId})`);
    });
}
