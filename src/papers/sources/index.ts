import type { Config, SourceName } from '../../config.ts';
import type { Db } from '../../db.ts';
import { httpValidatorStore } from '../papers.queries.ts';
import { arxivApiSource, arxivRssSource } from './arxiv.ts';
import { createHttpClient, type FetchPolicy } from './http.ts';
import { huggingFaceSource } from './huggingface.ts';
import type { PaperSource } from './source.ts';

const ARXIV_HOSTS = /(^|\.)arxiv\.org$/;

/** The fetch policy for these settings: arXiv's own hosts get its 3 s spacing whatever the settings say. */
export function fetchPolicy(settings: Config['sources'], publicUrl: string): FetchPolicy {
  const arxivHosts = new Set([new URL(settings.arxivApiUrl).host, new URL(settings.arxivRssUrl).host]);
  return {
    userAgent: `Paperboy/0.1 (+${publicUrl}; mailto:${settings.contact})`,
    timeoutMs: settings.timeoutMs,
    retries: 4,
    baseDelayMs: 1_000,
    maxDelayMs: 60_000,
    maxBytes: 50 * 1024 * 1024,
    minIntervalMs: (host) => {
      if (ARXIV_HOSTS.test(new URL(`http://${host}`).hostname))
        return Math.max(3_000, settings.arxivMinIntervalMs);
      return arxivHosts.has(host) ? settings.arxivMinIntervalMs : 0;
    },
  };
}

/** The named sources, sharing one HTTP client (so per-host spacing holds across them). */
export function createSources(
  db: Db,
  settings: Config['sources'],
  publicUrl: string,
  names: readonly SourceName[] = settings.enabled,
  policy: FetchPolicy = fetchPolicy(settings, publicUrl),
): PaperSource[] {
  const http = createHttpClient(policy, httpValidatorStore(db));
  const make: Record<SourceName, () => PaperSource> = {
    huggingface: () => huggingFaceSource(http, settings.huggingFaceUrl),
    arxiv: () => arxivApiSource(http, settings.arxivApiUrl, settings.arxivCategories),
    'arxiv-rss': () => arxivRssSource(http, settings.arxivRssUrl, settings.arxivCategories),
  };
  return names.map((name) => make[name]());
}
