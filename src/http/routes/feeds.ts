import { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { readerFeed, trendingForTopic } from '../../digest/archive.ts';
import type { Paper } from '../../papers/paper.ts';
import { type AtomEntry, atomXml } from '../atom.ts';
import { safeUrl } from '../forms.ts';

const TOPIC_FEED_PAPERS = 25;
const ATOM = 'application/atom+xml; charset=utf-8';

const paperEntry = (publicUrl: string, paper: Paper, extra: Partial<AtomEntry> = {}): AtomEntry => ({
  id: `${publicUrl}/papers/${encodeURIComponent(paper.id)}`,
  title: paper.title,
  link: safeUrl(paper.pageUrl),
  updated: paper.firstSeenAt,
  summary: paper.abstract,
  authors: paper.authors,
  categories: paper.categories,
  ...extra,
});

/** Atom feeds: today's trending papers per topic (public) and a reader's own digests (private, by token). */
export function feedRoutes(deps: Deps): Router {
  const router = Router();
  const base = deps.config.publicUrl;

  router.get('/topics/:slug/feed.xml', async (req, res) => {
    const { topic, updated, papers } = await trendingForTopic(deps, req.params.slug, TOPIC_FEED_PAPERS);
    const selfUrl = `${base}/topics/${topic.slug}/feed.xml`;
    const xml = atomXml({
      id: selfUrl,
      title: `Paperboy: trending in ${topic.name}`,
      subtitle: topic.description,
      selfUrl,
      siteUrl: `${base}/`,
      updated,
      entries: papers.map((paper) => paperEntry(base, paper)),
    });
    res.type(ATOM).set('Cache-Control', 'public, max-age=900').send(xml);
  });

  router.get('/feed.xml', async (req, res) => {
    const feed = await readerFeed(deps, req.query.token);
    const xml = atomXml({
      id: `${base}/feed/${feed.subscriberId}`,
      title: 'Paperboy: your digests',
      subtitle: 'The papers of your recent Paperboy emails.',
      selfUrl: `${base}/feed.xml?token=${encodeURIComponent(String(req.query.token))}`,
      siteUrl: `${base}/`,
      updated: feed.updated,
      entries: feed.entries.map((entry) =>
        paperEntry(base, entry.paper, {
          id: `${base}/feed/${feed.subscriberId}/${entry.digestDate}/${encodeURIComponent(entry.paper.id)}`,
          link: safeUrl(entry.paper.pageUrl) ?? entry.viewUrl,
          updated: entry.updated,
          summary: `${entry.why}\n\n${entry.paper.abstract}`,
          categories: [entry.digestDate],
        }),
      ),
    });
    res.type(ATOM).set('Cache-Control', 'private, no-store').send(xml);
  });

  return router;
}
