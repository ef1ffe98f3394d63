/**
 * What the ranking quality benches share: the judged interests of bench/ranking/judgments.json,
 * the bundled sample papers, the metrics, and how an interest is put to the ranker.
 */
import { readFileSync } from 'node:fs';
import { loadSamplePapers } from '../../src/papers/sample.ts';
import { type PaperIndex, rankPapers } from '../../src/ranking/rank.ts';
import { TOPICS } from '../../src/topics/taxonomy.ts';

export interface Interest {
  name: string;
  kind: 'topic' | 'text';
  topic?: string;
  text?: string;
  paraphrase: boolean;
  judgments: Record<string, number>;
}

export const { interests } = JSON.parse(
  readFileSync(new URL('./judgments.json', import.meta.url), 'utf8'),
) as {
  interests: Interest[];
};
export const now = new Date('2026-11-28T08:00:00Z');
export const papers = loadSamplePapers(now);
export const K = 10;

export function ndcg(ranked: string[], judgments: Record<string, number>, k = K): number {
  const gain = (grade: number) => 2 ** grade - 1;
  const dcg = ranked.slice(0, k).reduce((sum, id, i) => sum + gain(judgments[id] ?? 0) / Math.log2(i + 2), 0);
  const ideal = Object.values(judgments)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, grade, i) => sum + gain(grade) / Math.log2(i + 2), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}

export const precision = (ranked: string[], judgments: Record<string, number>, k = 5) =>
  ranked.slice(0, k).filter((id) => (judgments[id] ?? 0) > 0).length / k;

/** The ids of the ranker's top K papers for an interest: a reader with just that topic or text. */
export function ranker(index: PaperIndex, interest: Interest): string[] {
  const topic = TOPICS.find((t) => t.slug === interest.topic);
  if (interest.kind === 'topic' && !topic) throw new Error(`unknown topic ${interest.topic}`);
  return rankPapers(index, {
    topics: topic ? [topic] : [],
    interests: interest.kind === 'text' && interest.text ? [interest.text] : [],
    authors: [],
    excludes: [],
    limit: K,
  }).map((entry) => entry.paper.id);
}

export const mean = (values: number[]) =>
  Number((values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)).toFixed(4));
