import type { Deps } from '../deps.ts';
import { hashEmail } from '../log.ts';
import type { EmailTemplate } from '../mail/templates.ts';
import { findPapersByIds } from '../papers/papers.queries.ts';
import { digestUrl, readerLinks } from '../subscribers/links.ts';
import { isSuppressed } from '../subscribers/subscribers.queries.ts';
import {
  claimDelivery,
  findDueSubscribers,
  findPlannedDeliveries,
  finishDelivery,
  loadDeliveryForSending,
} from './digest.queries.ts';
import { type DigestRow, loadRanker, type PlanTally, planReaders, planScheduled } from './plan.ts';
import { compileDigestTemplate, type DigestValues, digestValues } from './render.ts';

export type { DigestRow } from './plan.ts';

const BATCH = 500;
const DAY_MS = 86_400_000;

/** The accounting of one run. */
export interface DigestRunResult extends PlanTally {
  /** The digest date of a manual run; for a scheduler tick, the UTC date of the tick. */
  date: string;
  sent: number;
  failed: number;
  rows: DigestRow[];
}

/** How to run: a manual run for one date (the default), or the scheduler's tick. */
export interface DigestRunOptions {
  date?: string;
  dryRun?: boolean;
  /** The scheduler's tick: plan whoever is due now for their local date, skip the missed (date is ignored). */
  tick?: { maxLatenessHours: number };
}

/** `YYYY-MM-DD` of `date` in UTC. */
export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Plans and sends digests. A manual run sends the digest for `date` to every active reader who has
 * none for it yet, whatever their hour; papers are those first seen (or whose signals moved) in the
 * 24 hours before the run (before the end of `date` for a past date). A tick plans only readers
 * whose local delivery time has come (see `planScheduled`).
 * Planning records one delivery per reader and date before anything is sent, so running twice,
 * or after a crash, sends nobody a second digest. A dry run ranks and reports, and writes nothing.
 */
export async function runDigest(deps: Deps, options: DigestRunOptions = {}): Promise<DigestRunResult> {
  const now = deps.now();
  const result: DigestRunResult = {
    date: options.tick ? isoDate(now) : (options.date ?? isoDate(now)),
    dryRun: options.dryRun === true,
    candidatePapers: 0,
    planned: 0,
    skipped: 0,
    missed: 0,
    sent: 0,
    failed: 0,
    rows: [],
  };
  const dates = options.tick
    ? await planScheduled(deps, options.tick.maxLatenessHours, result)
    : await planDate(deps, result.date, result);
  if (!result.dryRun && dates.length > 0) await sendPlanned(deps, dates, result);
  const logged = { ...result, rows: undefined, durationMs: Date.now() - now.getTime() };
  // A tick runs every minute: only one that did something is worth an info line.
  if (options.tick && result.rows.length === 0 && result.missed === 0 && result.sent === 0)
    deps.log.debug({ event: 'digest.tick_idle', ...logged });
  else deps.log.info({ event: 'digest.run_finished', ...logged });
  return result;
}

/** The manual run's planning: every active reader without a delivery for `date`, in id batches. */
async function planDate(deps: Deps, date: string, tally: PlanTally): Promise<Date[]> {
  const now = deps.now();
  const digestDate = new Date(`${date}T00:00:00Z`);
  const ranker = await loadRanker(deps, new Date(Math.min(now.getTime(), digestDate.getTime() + DAY_MS)));
  tally.candidatePapers = ranker.papers.length;
  let afterId: string | null = null;
  for (;;) {
    const readers = await findDueSubscribers(deps.db, digestDate, afterId, BATCH);
    if (readers.length === 0) return [digestDate];
    afterId = readers.at(-1)?.id ?? null;
    await planReaders(deps, ranker, readers, digestDate, tally);
  }
}

async function sendPlanned(deps: Deps, digestDates: Date[], result: DigestRunResult): Promise<void> {
  // Compiled only when there is something to send: most ticks have nothing.
  let template: EmailTemplate<DigestValues> | undefined;
  for (;;) {
    const batch = await findPlannedDeliveries(deps.db, digestDates, BATCH);
    if (batch.length === 0) return;
    template ??= await compileDigestTemplate();
    for (const { id } of batch) {
      if (!(await claimDelivery(deps.db, id))) continue;
      const outcome = await sendOne(deps, template, id);
      result[outcome]++;
    }
  }
}

/** Sends one claimed delivery; a failure is recorded on the row and never stops the run. */
async function sendOne(
  deps: Deps,
  template: EmailTemplate<DigestValues>,
  id: string,
): Promise<'sent' | 'failed' | 'skipped'> {
  const delivery = await loadDeliveryForSending(deps.db, id);
  if (!delivery) return 'skipped';
  const { subscriber } = delivery;
  const at = deps.now();
  // The reader may have unsubscribed, or bounced elsewhere, since the plan was made.
  if (subscriber.status !== 'active' || (await isSuppressed(deps.db, subscriber.email))) {
    await finishDelivery(deps.db, id, { status: 'skipped', error: `reader is ${subscriber.status}`, at });
    return 'skipped';
  }
  const date = isoDate(delivery.digestDate);
  const messageId = digestMessageId(deps.config.publicUrl, subscriber.id, date);
  try {
    const values = await digestValuesFor(deps, delivery);
    await deps.mailer.send({
      to: subscriber.email,
      subject: values.subject,
      html: template.html(values),
      text: template.text(values),
      messageId,
      list: { unsubscribe: values.unsubscribeUrl },
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    await finishDelivery(deps.db, id, { status: 'sent', messageId, at: deps.now() });
    return 'sent';
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.log.warn({
      event: 'digest.delivery_failed',
      deliveryId: id,
      who: hashEmail(subscriber.email),
      error: message,
    });
    await finishDelivery(deps.db, id, { status: 'failed', error: message.slice(0, 500), at: deps.now() });
    return 'failed';
  }
}

/** The filled template values of a stored delivery: its papers in their planned order, with their reasons. */
export async function digestValuesFor(
  deps: Deps,
  delivery: NonNullable<Awaited<ReturnType<typeof loadDeliveryForSending>>>,
): Promise<DigestValues> {
  const { subscriber } = delivery;
  const papers = new Map(
    (
      await findPapersByIds(
        deps.db,
        delivery.papers.map((p) => p.paperId),
      )
    ).map((p) => [p.id, p]),
  );
  return digestValues({
    email: subscriber.email,
    digestDate: isoDate(delivery.digestDate),
    papers: delivery.papers.flatMap((entry) => {
      const paper = papers.get(entry.paperId);
      return paper ? [{ paper, why: entry.why }] : [];
    }),
    links: {
      ...readerLinks(deps.config, subscriber),
      viewUrl: digestUrl(deps.config, subscriber, delivery.id),
    },
  });
}

/** The same Message-ID for the same reader and date, so a resend after an uncertain outcome is recognisable. */
export function digestMessageId(publicUrl: string, subscriberId: string, date: string): string {
  return `<digest.${date}.${subscriberId}@${new URL(publicUrl).hostname}>`;
}
