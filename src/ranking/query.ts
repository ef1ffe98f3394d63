import type { Bm25Index, QueryTerm } from './bm25.ts';
import { contentTokens, tokenize } from './text.ts';

/** A topic as ranking reads it: its terms, and looser synonyms that widen it. */
export interface RankingTopic {
  slug: string;
  name: string;
  queryTerms: readonly string[];
  synonyms?: readonly string[];
  description?: string;
}

const SYNONYM_WEIGHT = 0.6;
const BIGRAM_WEIGHT = 0.5;

/** Adds `term` to `query`, keeping the larger weight when the same tokens come twice. */
function add(query: Map<string, QueryTerm>, tokens: string[], weight: number, label: string): void {
  if (tokens.length === 0) return;
  const key = tokens.join(' ');
  const seen = query.get(key);
  if (!seen || seen.weight < weight) query.set(key, { tokens, weight, label: seen?.label ?? label });
}

/** A topic's query: each term as a token or phrase, synonyms at a lower weight. */
export function topicQuery(topic: RankingTopic): QueryTerm[] {
  const query = new Map<string, QueryTerm>();
  for (const term of topic.queryTerms) add(query, tokenize(term), 1, term);
  for (const term of topic.synonyms ?? []) add(query, tokenize(term), SYNONYM_WEIGHT, term);
  return [...query.values()];
}

/** A free-text interest's query: its meaningful words, and adjacent pairs of them as phrases. */
export function textQuery(text: string): QueryTerm[] {
  const query = new Map<string, QueryTerm>();
  const words = text.split(/\s+/);
  const tokens = contentTokens(text);
  tokens.forEach((token, i) => {
    add(query, [token], 1, words.find((word) => contentTokens(word)[0] === token) ?? token);
    const next = tokens[i + 1];
    if (next) add(query, [token, next], BIGRAM_WEIGHT, `${token} ${next}`);
  });
  return [...query.values()];
}

/**
 * The (at most) `n` documents with the highest positive scores, best first, ties by `rank` (each
 * document's place in id order, so the input order does not matter): one pass keeping the best n
 * in order, instead of sorting every document.
 */
export function bestDocuments(scores: Float64Array, n: number, rank: Int32Array): number[] {
  const best: number[] = [];
  const before = (i: number, j: number) =>
    (scores[i] as number) > (scores[j] as number) ||
    (scores[i] === scores[j] && (rank[i] as number) < (rank[j] as number));
  for (let i = 0; i < scores.length; i++) {
    if (!((scores[i] as number) > 0)) continue;
    if (best.length === n) {
      if (n === 0 || !before(i, best[n - 1] as number)) continue;
      best.pop();
    }
    let at = best.length;
    while (at > 0 && before(i, best[at - 1] as number)) at--;
    best.splice(at, 0, i);
  }
  return best;
}

const FEEDBACK_DOCS = 5;
const FEEDBACK_TERMS = 10;
const FEEDBACK_WEIGHT = 0.35;

/** A word of a document that can be feedback: its share of the document's words, and its idf. */
interface Evidence {
  token: string;
  ratio: number;
  idf: number;
}

const evidence = new WeakMap<Bm25Index, Evidence[][]>();

/** Document i's words that can be feedback, in its own order; worked out once per index and document. */
function evidenceOf(index: Bm25Index, i: number): Evidence[] {
  let all = evidence.get(index);
  if (!all) {
    all = [];
    evidence.set(index, all);
  }
  let found = all[i];
  if (!found) {
    found = [];
    const terms = index.termsOf(i);
    const total = [...terms.values()].reduce((sum, n) => sum + n, 0) || 1;
    for (const [token, count] of terms) {
      const df = index.documentFrequency(token);
      // Words in nearly every paper ("model", "network") and one-off words are no evidence.
      if (df < 2 || df > Math.max(2, index.size / 4) || token.length < 3 || /^\d+$/.test(token)) continue;
      found.push({ token, ratio: count / total, idf: index.idf(df) });
    }
    all[i] = found;
  }
  return found;
}

/**
 * Pseudo-relevance feedback (RM3-like): the words that weigh most in the best few matches of
 * `query` join it at a lower weight, so a paraphrase finds papers that use the field's own words.
 * `rank` is each paper's place in id order: equally good matches are taken by id.
 */
export function withFeedback(
  index: Bm25Index,
  query: QueryTerm[],
  scores: Float64Array,
  rank: Int32Array,
): QueryTerm[] {
  const best = bestDocuments(scores, FEEDBACK_DOCS, rank);
  if (best.length < 2) return query;
  const weights = new Map<string, number>();
  const topScore = scores[best[0] ?? 0] ?? 1;
  for (const i of best) {
    const share = (scores[i] ?? 0) / topScore;
    for (const { token, ratio, idf } of evidenceOf(index, i))
      weights.set(token, (weights.get(token) ?? 0) + share * ratio * idf);
  }
  const inQuery = new Set(query.map((term) => term.tokens.join(' ')));
  // The first FEEDBACK_TERMS of the words sorted (stably) by weight, then alphabetically: kept in
  // one pass, a word going after every word that sorts with it or before it.
  const before = (a: [string, number], b: [string, number]) => (b[1] - a[1] || a[0].localeCompare(b[0])) < 0;
  const expansion: [string, number][] = [];
  for (const entry of weights) {
    if (inQuery.has(entry[0])) continue;
    if (expansion.length === FEEDBACK_TERMS) {
      if (!before(entry, expansion[FEEDBACK_TERMS - 1] as [string, number])) continue;
      expansion.pop();
    }
    let at = expansion.length;
    while (at > 0 && before(entry, expansion[at - 1] as [string, number])) at--;
    expansion.splice(at, 0, entry);
  }
  const strongest = expansion[0]?.[1] ?? 1;
  return [
    ...query,
    ...expansion.map(([token, weight]) => ({
      tokens: [token],
      weight: FEEDBACK_WEIGHT * (weight / strongest),
      label: token,
    })),
  ];
}
