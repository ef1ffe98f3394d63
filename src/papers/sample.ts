import { readFileSync } from 'node:fs';
import { newPaper, type Paper, titleId } from './paper.ts';

const SAMPLE_FILE = new URL('./sample/trending-papers.json', import.meta.url);

/**
 * The bundled sample: the 119 papers of the page Paperboy grew from (title and abstract only),
 * as papers first seen at `now`. The page gives no ids, authors or signals, so none are invented.
 */
export function loadSamplePapers(now: Date): Paper[] {
  const rows = JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as { title: string; abstract: string }[];
  return rows.map((row) =>
    newPaper({ id: titleId(row.title), title: row.title, abstract: row.abstract, firstSeenAt: now }),
  );
}
