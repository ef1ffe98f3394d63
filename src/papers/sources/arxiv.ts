import { parseArxivAtom, parseArxivRss } from './formats.ts';
import type { HttpClient } from './http.ts';
import type { PaperSource } from './source.ts';

const PAGE_SIZE = 200;
/** The query API serves at most 30,000 results in slices; a day of a few categories is far below. */
const MAX_RESULTS = 10_000;
const ATOM = /atom|xml/i;

/** `YYYYMMDD` of the day before `date`: what arXiv announces on `date` was submitted then. */
function previousDay(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 1);
  return day.toISOString().slice(0, 10).replace(/-/g, '');
}

/**
 * arXiv's Atom query API: papers in `categories` submitted the day before `date` (GMT), which
 * arXiv announces on `date`. One request at a time, spaced by the HTTP client's policy.
 */
export function arxivApiSource(http: HttpClient, baseUrl: string, categories: string[]): PaperSource {
  return {
    name: 'arxiv',
    async *batches(date) {
      const day = previousDay(date);
      const cats = categories.map((cat) => `cat:${cat}`).join(' OR ');
      const query = `(${cats}) AND submittedDate:[${day}0000 TO ${day}2359]`;
      for (let start = 0; start < MAX_RESULTS; start += PAGE_SIZE) {
        const url = new URL('/api/query', baseUrl);
        url.search = new URLSearchParams({
          search_query: query,
          start: String(start),
          max_results: String(PAGE_SIZE),
          sortBy: 'submittedDate',
          sortOrder: 'ascending',
        }).toString();
        const result = await http.get(url.toString(), { accept: 'application/atom+xml', expect: ATOM });
        if (result.notModified) return;
        const parsed = parseArxivAtom(result.body);
        yield { parsed, hasSignals: false };
        const seen = parsed.records.length + parsed.unreadable;
        if (seen < PAGE_SIZE || start + seen >= parsed.total) return;
      }
    },
  };
}

/**
 * arXiv's listing feed for `categories` (`/rss/cs.LG+cs.CL`): the latest announcement, whatever
 * the date asked; new and cross-listed papers, replacements left out. Conditional requests make a
 * second fetch of an unchanged feed cost nothing.
 */
export function arxivRssSource(http: HttpClient, baseUrl: string, categories: string[]): PaperSource {
  return {
    name: 'arxiv-rss',
    async *batches() {
      const url = new URL(`/rss/${categories.map(encodeURIComponent).join('+')}`, baseUrl);
      const result = await http.get(url.toString(), {
        accept: 'application/rss+xml',
        expect: /rss|xml/i,
        conditional: true,
      });
      if (result.notModified) return;
      yield { parsed: parseArxivRss(result.body), hasSignals: false, commit: result.remember };
    },
  };
}
