import type { Deps } from '../deps.ts';
import { hashEmail } from '../log.ts';
import type { EmailTemplate } from '../mail/templates.ts';
import type { Paper } from '../papers/paper.ts';
import { findCandidatePapers, findPapersByIds } from '../papers/papers.queries.ts';
import { explain, indexPapers, rankPapers, trendingFallback } from '../ranking/rank.ts';
import { digestUrl, readerLinks } from '../subscribers/links.ts';
import { isSuppressed } from '../subscribers/subscribers.queries.ts';
import { TOPICS } from '../topics/taxonomy.ts';
import {
  claimDelivery,
  findAlreadySent,
  findDueSubscribers,
  findPlannedDeliveries,
  finishDelivery,
  insertPlannedDelivery,
  loadDeliveryForSending,
} from './digest.queries.ts';
import { compileDigestTemplate, type DigestValues, digestValues } from './render.ts';

const BATCH = 500;
const TOPICS_BY_SLUG = new Map(TOPICS.map((topic) => [topic.slug, topic]));
const DEFAULT_RANKING = { trendingWeight: 0.3, diversity: 0.75, emptyDigest: 'skip' as const };
const DAY_MS = 86_400_000;

/** One reader's outcome in a run, for the operator's table. */
export interface DigestRow {
  subscriberId: string;
  email: string;
  topics: string[];
  papers: number;
  topPaper: string | null;
}

/** The accounting of one run. */
export interface DigestRunResult {
  date: string;
  dryRun: boolean;
  candidatePapers: number;
  planned: number;
  skipped: number;
  sent: number;
  failed: number;
  rows: DigestRow[];
}

/** `YYYY-MM-DD` of `date` in UTC. */
export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/**
 * Plans and sends the digest for `date` to every active reader who has none for it yet. Papers
 * are those first seen (or whose signals moved) in the 24 hours before the run (before the end
 * of `date` for a past date).
 * Planning records one delivery per reader and date before anything is sent, so running twice,
 * or after a crash, sends nobody a second digest. A dry run ranks and reports, and writes nothing.
 */
export async function runDigest(
  deps: Deps,
  options: { date?: string; dryRun?: boolean } = {},
): Promise<DigestRunResult> {
  const now = deps.now();
  const date = options.date ?? isoDate(now);
  const digestDate = new Date(`${date}T00:00:00Z`);
  const asOf = new Date(Math.min(now.getTime(), digestDate.getTime() + DAY_MS));
  const papers = await findCandidatePapers(deps.db, new Date(asOf.getTime() - DAY_MS), asOf);
  const result: DigestRunResult = {
    date,
    dryRun: options.dryRun === true,
    candidatePapers: papers.length,
    planned: 0,
    skipped: 0,
    sent: 0,
    failed: 0,
    rows: [],
  };
  await planDigests(deps, digestDate, papers, result);
  if (!result.dryRun) await sendPlanned(deps, digestDate, result);
  deps.log.info({
    event: 'digest.run_finished',
    ...result,
    rows: undefined,
    durationMs: Date.now() - now.getTime(),
  });
  return result;
}

async function planDigests(
  deps: Deps,
  digestDate: Date,
  papers: Paper[],
  result: DigestRunResult,
): Promise<void> {
  const ranking = deps.config.ranking ?? DEFAULT_RANKING;
  const index = indexPapers(papers, {
    now: deps.now(),
    trendingWeight: ranking.trendingWeight,
    diversity: ranking.diversity,
  });
  const paperIds = papers.map((paper) => paper.id);
  let afterId: string | null = null;
  for (;;) {
    const readers = await findDueSubscribers(deps.db, digestDate, afterId, BATCH);
    if (readers.length === 0) return;
    afterId = readers.at(-1)?.id ?? null;
    const alreadySent = await findAlreadySent(
      deps.db,
      readers.map((reader) => reader.id),
      paperIds,
    );
    for (const reader of readers) {
      const prefs = {
        // The built-in definition (with its synonyms) where the topic is still built in.
        topics: reader.topics.map((row) => TOPICS_BY_SLUG.get(row.topic.slug) ?? row.topic),
        interests: reader.interests.filter((i) => i.kind === 'text').map((i) => i.value),
        authors: reader.interests.filter((i) => i.kind === 'author').map((i) => i.value),
        excludes: reader.interests.filter((i) => i.kind === 'exclude').map((i) => i.value),
        limit: reader.maxPapers,
        alreadySent: alreadySent.get(reader.id) ?? new Set<string>(),
      };
      const matched = rankPapers(index, prefs);
      const ranked =
        matched.length === 0 && ranking.emptyDigest === 'trending' ? trendingFallback(index, prefs) : matched;
      result.rows.push({
        subscriberId: reader.id,
        email: reader.email,
        topics: reader.topics.map((row) => row.topic.slug),
        papers: ranked.length,
        topPaper: ranked[0]?.paper.title ?? null,
      });
      if (ranked.length === 0) result.skipped++;
      else result.planned++;
      if (result.dryRun) continue;
      const plan = {
        subscriberId: reader.id,
        digestDate,
        papers: ranked.map((entry) => ({ paperId: entry.paper.id, why: explain(entry.why) })),
      };
      await deps.db.$transaction((tx) => insertPlannedDelivery(tx, plan));
    }
  }
}

async function sendPlanned(deps: Deps, digestDate: Date, result: DigestRunResult): Promise<void> {
  const template = await compileDigestTemplate();
  for (;;) {
    const batch = await findPlannedDeliveries(deps.db, digestDate, BATCH);
    if (batch.length === 0) return;
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
