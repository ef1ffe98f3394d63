import { isoDate } from '../dates.ts';
import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';
import type { Paper } from '../papers/paper.ts';
import { findCandidatePapers, findPapersByIds } from '../papers/papers.queries.ts';
import { indexPapers, rankPapers } from '../ranking/rank.ts';
import { trendingSignal } from '../ranking/trending.ts';
import { digestUrl } from '../subscribers/links.ts';
import { subscriberForToken } from '../subscribers/subscribers.service.ts';
import { findTopic } from '../topics/topics.queries.ts';
import { findRecentSentDeliveries, loadDelivery } from './digest.queries.ts';
import { compileDigestTemplate } from './render.ts';
import { digestValuesFor } from './send.ts';

const FEED_DIGESTS = 10;

let template: ReturnType<typeof compileDigestTemplate> | undefined;

/**
 * The HTML of a sent digest, as the email showed it ("view in browser"). The link's token names
 * the delivery; any other delivery, or one not sent, is the same 404.
 */
export async function archivedDigestHtml(deps: Deps, deliveryId: string, token: unknown): Promise<string> {
  const { subscriber, claims } = await subscriberForToken(deps, 'digest', token);
  if (claims.ref !== deliveryId) throw notFound('digest');
  const delivery = await loadDelivery(deps.db, deliveryId).catch(() => null);
  if (!delivery || delivery.subscriber.id !== subscriber.id || delivery.sentAt === null)
    throw notFound('digest');
  template ??= compileDigestTemplate();
  return (await template).html(await digestValuesFor(deps, delivery));
}

/** Today's digest candidates, most trending first. */
export async function trendingToday(deps: Deps, limit: number): Promise<Paper[]> {
  const now = deps.now();
  const papers = await findCandidatePapers(deps.db, now);
  return papers
    .map((paper) => ({ paper, score: trendingSignal(paper, now) }))
    .sort((a, b) => b.score - a.score || a.paper.id.localeCompare(b.paper.id))
    .slice(0, limit)
    .map((entry) => entry.paper);
}

/** Today's trending papers ranked for one topic, for its public feed; an unknown topic is a 404. */
export async function trendingForTopic(deps: Deps, slug: string, limit: number) {
  const topic = await findTopic(deps.db, slug);
  if (!topic) throw notFound('topic');
  const now = deps.now();
  const papers = await findCandidatePapers(deps.db, now);
  const ranked = rankPapers(indexPapers(papers, { now }), {
    topics: [topic],
    interests: [],
    authors: [],
    excludes: [],
    limit,
  });
  return { topic, updated: now, papers: ranked.map((entry) => entry.paper) };
}

/** The papers of a reader's recent digests, newest digest first, for their private feed. */
export async function readerFeed(deps: Deps, token: unknown) {
  const { subscriber } = await subscriberForToken(deps, 'feed', token);
  const deliveries = await findRecentSentDeliveries(deps.db, subscriber.id, FEED_DIGESTS);
  const papers = new Map(
    (
      await findPapersByIds(
        deps.db,
        deliveries.flatMap((d) => d.papers.map((p) => p.paperId)),
      )
    ).map((p) => [p.id, p]),
  );
  const entries = deliveries.flatMap((delivery) =>
    delivery.papers.flatMap(({ paperId, why }) => {
      const paper = papers.get(paperId);
      if (!paper) return [];
      const digestDate = isoDate(delivery.digestDate);
      const viewUrl = digestUrl(deps.config, subscriber, delivery.id);
      return [{ paper, why, digestDate, updated: delivery.sentAt ?? delivery.digestDate, viewUrl }];
    }),
  );
  return { subscriberId: subscriber.id, updated: entries[0]?.updated ?? deps.now(), entries };
}
