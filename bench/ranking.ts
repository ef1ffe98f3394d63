/**
 * Ranking quality on the bundled sample: nDCG@10 and P@5 per interest in
 * bench/ranking/judgments.json, for Paperboy's ranker and a plain BM25 baseline in the same run.
 * Prints one JSON line per interest, then a summary line. Run: npm run bench:ranking
 */
import { Bm25Index } from '../src/ranking/bm25.ts';
import { textQuery } from '../src/ranking/query.ts';
import { indexPapers } from '../src/ranking/rank.ts';
import { tokenize } from '../src/ranking/text.ts';
import { TOPICS } from '../src/topics/taxonomy.ts';
import {
  type Interest,
  interests,
  K,
  mean,
  ndcg,
  now,
  papers,
  precision,
  ranker,
} from './ranking/evaluate.ts';

const index = indexPapers(papers, { now });

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

const rows = interests.map((interest) => {
  const ours = ranker(index, interest);
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
