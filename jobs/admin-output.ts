/* biome-ignore-all lint/suspicious/noConsole: the CLI's output is its interface */
import type { ImportResult, RowIssue } from '../src/admin/import.ts';
import type { Stats } from '../src/admin/stats.ts';

/** Error lines (and notes) printed after the summary; `--json` has them all. */
const SHOWN_LINES = 20;

/** The import's summary line, then its first error lines and notes. */
export function printImport(result: ImportResult): void {
  const skippedBy = Object.entries(result.skippedBy).map(([reason, n]) => `${reason} ${n}`);
  console.log(
    `imported ${result.imported}, already present ${result.existing}, ` +
      `skipped ${result.skipped}${skippedBy.length > 0 ? ` (${skippedBy.join(', ')})` : ''}, ` +
      `errors ${result.errors.length}; confirmation emails sent ${result.confirmationsSent}` +
      (result.confirmationsFailed.length > 0 ? `, failed ${result.confirmationsFailed.length}` : ''),
  );
  printIssues('error', [...result.errors, ...result.confirmationsFailed]);
  printIssues('skipped', result.notes);
}

function printIssues(label: string, issues: RowIssue[]): void {
  for (const issue of issues.slice(0, SHOWN_LINES))
    console.log(`${label}: line ${issue.line}${issue.email ? ` ${issue.email}` : ''}: ${issue.reason}`);
  if (issues.length > SHOWN_LINES)
    console.log(`${label}: … and ${issues.length - SHOWN_LINES} more (--json lists them all)`);
}

const percent = (rate: number | null) => (rate === null ? 'n/a' : `${(rate * 100).toFixed(2)}%`);

/** Subscribers by status, the per-day table, and the two rates with what they are made of. */
export function printStats(stats: Stats): void {
  const { total, ...byStatus } = stats.subscribers;
  const statuses = Object.entries(byStatus).map(([status, n]) => `${status} ${n}`);
  console.log(`subscribers: ${total} (${statuses.join(', ')})`);
  console.table(
    stats.digests.map(({ date, sent, failed, bounced, skipped, planned, sending }) => ({
      date,
      sent,
      failed,
      bounced,
      skipped,
      'planned/sending': planned + sending,
    })),
  );
  const { rates } = stats;
  console.log(
    `bounce rate (last ${rates.days} days): ${percent(rates.bounceRate)} (${rates.bounced} bounced, ${rates.sent} sent)`,
  );
  console.log(
    `complaint rate: ${percent(rates.complaintRate)} (${rates.complained} complained of ${rates.confirmed} confirmed)`,
  );
}
