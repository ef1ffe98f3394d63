import { parseHfDailyPapers } from './formats.ts';
import type { HttpClient } from './http.ts';
import type { PaperSource } from './source.ts';

const PAGE_SIZE = 100;
const MAX_PAGES = 20;

/**
 * Hugging Face daily papers (`/api/daily_papers?date=`): the day the papers reached Daily Papers,
 * with upvotes, comments, keywords and code links; paged with `p` and `limit` as the API does.
 */
export function huggingFaceSource(http: HttpClient, baseUrl: string): PaperSource {
  return {
    name: 'huggingface',
    async *batches(date) {
      for (let page = 0; page < MAX_PAGES; page++) {
        const url = new URL('/api/daily_papers', baseUrl);
        url.search = new URLSearchParams({ date, limit: String(PAGE_SIZE), p: String(page) }).toString();
        const result = await http.get(url.toString(), {
          accept: 'application/json',
          expect: /json/i,
          conditional: true,
        });
        if (result.notModified) return;
        const parsed = parseHfDailyPapers(result.body);
        yield { parsed, hasSignals: true, commit: result.remember };
        if (parsed.records.length + parsed.unreadable < PAGE_SIZE) return;
      }
    },
  };
}
