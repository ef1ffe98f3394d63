/**
 * Ranking quality on the bundled sample: nDCG@10 and P@5 per interest in
 * bench/ranking/judgments.json, for Paperboy's ranker and a plain BM25 baseline in the same run.
 * Prints one JSON line per interest, then a summary line. Run: npm run bench:ranking
 */
import { readFileSync } from 'node:fs';
import { loadSamplePapers } from '../src/papers/sample.ts';
import { Bm25Index } from '../src/ranking/bm25.ts';
import { textQuery } from '../src/ranking/query.ts';
import { indexPapers, rankPapers } from '../src/ranking/rank.ts';
import { tokenize } from '../src/ranking/text.ts';
import { TOPICS } from '../src/topics/taxonomy.ts';

interface Interest {
  name: string;
  kind: 'topic' | 'text';
  topic?: string;
  text?: string;
  paraphrase: boolean;
  judgments: Record<string, number>;
}

const { interests } = JSON.parse(
  readFileSync(new URL('./ranking/judgments.json', import.meta.url), 'utf8'),
) as { interests: Interest[] };
const now = new Date('2026-11-28T08:00:00Z');
const papers = loadSamplePapers(now);
const index = indexPapers(papers, { now });
const K = 10;

function ndcg(ranked: string[], judgments: Record<string, number>, k = K): number {
  const gain = (grade: number) => 2 ** grade - 1;
  const dcg = ranked.slice(0, k).reduce((sum, id, i) => sum + gain(judgments[id] ?? 0) / Math.log2(i + 2), 0);
  const ideal = Object.values(judgments)
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((sum, grade, i) => sum + gain(grade) / Math.log2(i + 2), 0);
  return ideal === 0 ? 0 : dcg / ideal;
}

const precision = (ranked: string[], judgments: Record<string, number>, k = 5) =>
  ranked.slice(0, k).filter((id) => (judgments[id] ?? 0) > 0).length / k;

/** Plain BM25: one field (title and abstract), the reader's words as given, no boosts, no expansion. */
const plain = new Bm25Index(
  papers.map((paper) => ({
    title: [],
    keywords: [],
    abstract: tokenize(`${paper.title} ${paper.abstract}`),
  })),
);
function baseline(interest: Interest): string[] {
  const topic = TOPICS.find((t) => t.slug === interest.topic);
  const words =
    interest.kind === 'topic' ? `${topic?.name ?? ''} ${topic?.description ?? ''}` : (interest.text ?? '');
  const query = textQuery(words).filter((term) => term.tokens.length === 1);
  const scores = plain.score(query);
  return [...scores.keys()]
    .filter((i) => (scores[i] ?? 0) > 0)
    .sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b)
    .slice(0, K)
    .map((i) => papers[i]?.id ?? '');
}

function ranker(interest: Interest): string[] {
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

const rows = interests.map((interest) => {
  const ours = ranker(interest);
  const base = baseline(interest);
  const row = {
    interest: interest.name,
    paraphrase: interest.paraphrase,
    ranker: {
      ndcg10: ndcg(ours, interest.judgments),
      p5: precision(ours, interest.judgments),
      returned: ours.length,
    },
    baseline: {
      ndcg10: ndcg(base, interest.judgments),
      p5: precision(base, interest.judgments),
      returned: base.length,
    },
  };
  console.log(JSON.stringify(row));
  return row;
});

const mean = (values: number[]) =>
  Number((values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)).toFixed(4));
const paraphrased = rows.filter((row) => row.paraphrase);
console.log(
  JSON.stringify({
    summary: true,
    interests: rows.length,
    meanNdcg10: {
      ranker: mean(rows.map((r) => r.ranker.ndcg10)),
      baseline: mean(rows.map((r) => r.baseline.ndcg10)),
    },
    meanP5: { ranker: mean(rows.map((r) => r.ranker.p5)), baseline: mean(rows.map((r) => r.baseline.p5)) },
    paraphrasedNdcg10: {
      ranker: mean(paraphrased.map((r) => r.ranker.ndcg10)),
      baseline: mean(paraphrased.map((r) => r.baseline.ndcg10)),
    },
  }),
);
