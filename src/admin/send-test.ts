import type { Deps } from '../deps.ts';
import { compileDigestTemplate, digestValues } from '../digest/render.ts';
import type { SendResult } from '../mail/mailer.ts';
import { loadSamplePapers } from '../papers/sample.ts';
import { indexPapers, rankPapers, trendingFallback } from '../ranking/rank.ts';
import { TOPICS } from '../topics/taxonomy.ts';

const SAMPLE_SIZE = 5;

/**
 * Sends a sample digest to `to` through the configured relay: five of the bundled sample papers as
 * the ranker picks them (the top trending; the sample has no signals, so the best matches of all
 * built-in topics). Creates no subscriber and no delivery; every reader link points at PUBLIC_URL
 * itself, so clicking one changes nothing. Returns what the relay said.
 */
export async function sendTestDigest(deps: Deps, to: string): Promise<SendResult> {
  const now = deps.now();
  const ranking = deps.config.ranking;
  const index = indexPapers(loadSamplePapers(now), {
    now,
    ...(ranking ? { trendingWeight: ranking.trendingWeight, diversity: ranking.diversity } : {}),
  });
  const prefs = { topics: [], interests: [], authors: [], excludes: [], limit: SAMPLE_SIZE };
  const trending = trendingFallback(index, prefs);
  const ranked = trending.length > 0 ? trending : rankPapers(index, { ...prefs, topics: TOPICS });
  const site = deps.config.publicUrl;
  const values = digestValues({
    email: to,
    digestDate: now.toISOString().slice(0, 10),
    papers: ranked.map((entry) => ({ paper: entry.paper, why: entry.why })),
    links: { manageUrl: site, unsubscribeUrl: site, viewUrl: site },
  });
  const template = await compileDigestTemplate();
  return deps.mailer.send({
    to,
    subject: `[test] ${values.subject}`,
    html: template.html(values),
    text: template.text(values),
    headers: { 'List-Unsubscribe': `<${site}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  });
}
