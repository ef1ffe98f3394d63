import path from 'node:path';
import type { Deps } from '../deps.ts';
import { hashEmail } from '../log.ts';
import { compileEmailTemplate, type EmailTemplate } from '../mail/templates.ts';
import { confirmationEmail, type LinkEmailValues } from '../subscribers/link-email.ts';
import { suppressionHash } from '../subscribers/subscribers.queries.ts';
import { listTopics } from '../topics/topics.queries.ts';
import { parseSubscriberRow } from './columns.ts';
import { countCsvRows, readCsvRows } from './csv-file.ts';
import {
  claimConfirmations,
  findSubscribersByEmails,
  findSuppressedHashes,
  type ImportedRow,
  insertImportedSubscribers,
  releaseConfirmations,
} from './import.queries.ts';

export { ImportFileError } from './csv-file.ts';

/** A row that was not imported, or whose confirmation email failed: its line, address and why. */
export interface RowIssue {
  line: number;
  email?: string;
  reason: string;
}

/**
 * What an import did. Every data row is counted once: rows = imported + existing + skipped +
 * errors.length. `notes` say why each skipped row was skipped.
 */
export interface ImportResult {
  rows: number;
  imported: number;
  existing: number;
  skipped: number;
  skippedBy: Record<string, number>;
  notes: RowIssue[];
  errors: RowIssue[];
  confirmationsSent: number;
  confirmationsFailed: RowIssue[];
}

/** How to import. */
export interface ImportOptions {
  file: string;
  /** The operator has the readers' consent: import them `active`, send no confirmation. */
  confirmed: boolean;
  /** Called after each batch with the data rows read so far and the file's total. */
  onProgress?: (done: number, total: number) => void;
  batchSize?: number;
}

/** Statuses an import never changes back into a mailable one. */
const GONE = new Set(['unsubscribed', 'bounced', 'complained']);

/**
 * Imports subscribers from a CSV file (see `COLUMNS`), streaming it and writing in batches of a
 * thousand rows (a handful of statements per batch, never one per row). New addresses become
 * `pending` and get the double opt-in email, or with `confirmed` become `active`; either way an
 * `imported` consent event records the file and line. Existing addresses are left exactly as they
 * are; unsubscribed, bounced, complained and suppressed ones are skipped with a note. Importing
 * the same file again changes nothing and sends nothing (except confirmations that failed before).
 */
export async function importSubscribers(deps: Deps, options: ImportOptions): Promise<ImportResult> {
  const total = await countCsvRows(options.file);
  const knownTopics = new Set((await listTopics(deps.db)).map((topic) => topic.slug));
  const result: ImportResult = {
    rows: 0,
    imported: 0,
    existing: 0,
    skipped: 0,
    skippedBy: {},
    notes: [],
    errors: [],
    confirmationsSent: 0,
    confirmationsFailed: [],
  };
  const firstLine = new Map<string, number>();
  const batchSize = options.batchSize ?? 1000;
  let batch: ImportedRow[] = [];
  const flush = async () => {
    if (batch.length > 0) await importBatch(deps, batch, options, result);
    batch = [];
    options.onProgress?.(result.rows, total);
  };
  for await (const row of readCsvRows(options.file)) {
    result.rows++;
    const parsed = 'cells' in row ? parseSubscriberRow(row.cells, knownTopics) : row;
    if ('error' in parsed) {
      const email = 'cells' in row ? row.cells.email?.trim() : row.email;
      result.errors.push({
        line: row.line,
        ...(email ? { email: email.slice(0, 254) } : {}),
        reason: parsed.error,
      });
      continue;
    }
    const first = firstLine.get(parsed.row.email);
    if (first !== undefined) {
      result.errors.push({ line: row.line, email: parsed.row.email, reason: `duplicate of line ${first}` });
      continue;
    }
    firstLine.set(parsed.row.email, row.line);
    batch.push({ ...parsed.row, line: row.line });
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  deps.log.info({
    event: 'admin.import_finished',
    file: path.basename(options.file),
    ...result,
    notes: result.notes.length,
    errors: result.errors.length,
    confirmationsFailed: result.confirmationsFailed.length,
  });
  return result;
}

async function importBatch(
  deps: Deps,
  rows: ImportedRow[],
  options: ImportOptions,
  result: ImportResult,
): Promise<void> {
  const emails = rows.map((row) => row.email);
  const [existing, suppressed] = await Promise.all([
    findSubscribersByEmails(deps.db, emails),
    findSuppressedHashes(deps.db, emails.map(suppressionHash)),
  ]);
  const fresh: ImportedRow[] = [];
  const mailable: string[] = [];
  for (const row of rows) {
    const status = existing.get(row.email);
    const skip =
      status && GONE.has(status) ? status : suppressed.has(suppressionHash(row.email)) ? 'suppressed' : null;
    if (skip) {
      result.skipped++;
      result.skippedBy[skip] = (result.skippedBy[skip] ?? 0) + 1;
      result.notes.push({ line: row.line, email: row.email, reason: `${skip}: not imported` });
      continue;
    }
    mailable.push(row.email);
    if (status) result.existing++;
    else fresh.push(row);
  }
  const now = deps.now();
  const created =
    fresh.length === 0
      ? new Set<string>()
      : await deps.db.$transaction(
          (tx) =>
            insertImportedSubscribers(tx, fresh, {
              status: options.confirmed ? 'active' : 'pending',
              now,
              file: path.basename(options.file),
            }),
          { timeout: 60_000 },
        );
  result.imported += created.size;
  // Someone else created the address between our read and our insert: it was there first.
  result.existing += fresh.length - created.size;
  if (!options.confirmed) await sendConfirmations(deps, rows, mailable, result);
}

let linkTemplate: Promise<EmailTemplate<LinkEmailValues>> | undefined;

/**
 * Sends the double opt-in email to the batch's pending addresses that never had one (the new ones,
 * and any whose email failed in an earlier import); the pooled mailer sends them concurrently. A
 * failed send is reported and its claim given back; the others go on.
 */
async function sendConfirmations(
  deps: Deps,
  rows: ImportedRow[],
  emails: string[],
  result: ImportResult,
): Promise<void> {
  const claimedAt = deps.now();
  const recipients = emails.length > 0 ? await claimConfirmations(deps.db, emails, claimedAt) : [];
  if (recipients.length === 0) return;
  linkTemplate ??= compileEmailTemplate<LinkEmailValues>('link');
  const template = await linkTemplate;
  const outcomes = await Promise.allSettled(
    recipients.map((who) => {
      const values = confirmationEmail(deps, who);
      return deps.mailer.send({
        to: who.email,
        subject: values.subject,
        html: template.html(values),
        text: template.text(values),
      });
    }),
  );
  const lineOf = new Map(rows.map((row) => [row.email, row.line]));
  const failed: string[] = [];
  outcomes.forEach((outcome, i) => {
    const who = recipients[i];
    if (!who) return;
    if (outcome.status === 'fulfilled') {
      result.confirmationsSent++;
      return;
    }
    const reason = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
    deps.log.warn({ event: 'admin.import_confirmation_failed', who: hashEmail(who.email), error: reason });
    failed.push(who.id);
    result.confirmationsFailed.push({
      line: lineOf.get(who.email) ?? 0,
      email: who.email,
      reason: `confirmation email not sent: ${reason}`,
    });
  });
  await releaseConfirmations(deps.db, failed, claimedAt);
}
