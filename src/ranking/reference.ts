/**
 * The ranking of one reader written the plain way: nothing cached or shared between readers,
 * every score recomputed from the BM25 statistics. It is the specification the fast path in
 * rank.ts must match (tests and `npm run bench:ranking-speed -- --verify N` compare the two);
 * the planner never calls it.
 */
import { LRUCache } from 'lru-cache';
import type { Paper } from '../papers/paper.ts';
import type { Bm25Index, QueryTerm } from './bm25.ts';
import { reachable, type Similarity } from './diversity.ts';
import { regularisedScore } from './neighbours.ts';
import { interestKey, interestSeed, MIN_COVERAGE, PART_FLOOR } from './parts.ts';
import { topicQuery, withFeedback } from './query.ts';
import {
  CACHE_LIMITS,
  type CacheLimits,
  type PaperIndex,
  type Preferences,
  type RankedPaper,
  sharedKey,
} from './rank.ts';
import { countPhrase, tokenize } from './text.ts';

const AUTHOR_BONUS = 10;
const MMR_WINDOW = 5;

interface ReferencePart {
  kind: 'topic' | 'interest';
  label: string;
  query: QueryTerm[];
  strength: Float64Array;
}

/** Every paper's BM25 score, term by term. */
function scores(bm25: Bm25Index, query: readonly QueryTerm[]): Float64Array {
  const out = new Float64Array(bm25.size);
  for (const term of query)
    for (const i of bm25.matching(term.tokens)) out[i] = (out[i] ?? 0) + bm25.termScore(term, i);
  return out;
}

function part(
  index: PaperIndex,
  kind: ReferencePart['kind'],
  label: string,
  query: QueryTerm[],
): ReferencePart {
  const score = scores(index.bm25, query);
  const best = Math.max(0, ...score);
  const matching = [...score.keys()].filter((i) => {
    let covered = 0;
    for (const term of query) {
      if (index.bm25.frequency(term.tokens, i) === 0) continue;
      covered += term.weight * (countPhrase(index.docs[i]?.title ?? [], term.tokens) > 0 ? 2 : 1);
    }
    const s = score[i] ?? 0;
    return s > 0 && s >= PART_FLOOR * best && covered >= MIN_COVERAGE;
  });
  // Matching papers are ordered by their scores regularised by their neighbours'.
  const regularised = matching.map((i) => regularisedScore(score, i, index.neighbours));
  const top = Math.max(0, ...regularised);
  const strength = new Float64Array(score.length);
  matching.forEach((i, m) => {
    strength[i] = (regularised[m] ?? 0) / top;
  });
  return { kind, label, query, strength };
}

/** The three query terms of `part` that did most for paper `i`. */
function topTerms(index: PaperIndex, part: ReferencePart, i: number): [string, number][] {
  return part.query
    .map((term): [string, number] => [term.label, index.bm25.termScore(term, i)])
    .filter(([, score]) => score > 0)
    .sort(byScoreThenLabel)
    .slice(0, 3);
}

const byScoreThenLabel = (a: [string, number], b: [string, number]) =>
  b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

function terms(index: PaperIndex, parts: readonly ReferencePart[], i: number): string[] {
  const matching = parts.filter((p) => (p.strength[i] ?? 0) > 0);
  if (matching.length === 1 && matching[0]) return topTerms(index, matching[0], i).map(([label]) => label);
  const totals = new Map<string, number>();
  for (const p of matching)
    for (const [label, score] of topTerms(index, p, i)) totals.set(label, (totals.get(label) ?? 0) + score);
  return [...totals.entries()]
    .sort(byScoreThenLabel)
    .slice(0, 3)
    .map(([label]) => label);
}

/** Maximal marginal relevance over `pool` (sorted by score), as diversity.ts defines it. */
function selectDiverse<T extends { i: number; score: number }>(
  similarity: Similarity,
  pool: readonly T[],
  limit: number,
  λ: number,
): T[] {
  const chosen: T[] = [];
  const left = pool.slice();
  const value = (c: T) =>
    λ * c.score - (1 - λ) * Math.max(0, ...chosen.map((other) => similarity.between(c.i, other.i)));
  while (chosen.length < limit && left.length > 0) {
    const window = left.slice(0, MMR_WINDOW + chosen.length);
    let bestAt = 0;
    // The first of equally good candidates wins.
    for (const [k, c] of window.entries()) if (value(c) > value(window[bestAt] as T)) bestAt = k;
    chosen.push(...left.splice(bestAt, 1));
  }
  return chosen;
}

/** `rankPapers` for one reader, computed from scratch (see rank.ts for the formula). */
export function rankPapersReference(index: PaperIndex, prefs: Preferences): RankedPaper[] {
  const parts = [
    ...prefs.topics.map((topic) => part(index, 'topic', topic.name, topicQuery(topic))),
    ...prefs.interests
      .filter((text) => text.trim())
      .map((text) => {
        const seed = interestSeed(text);
        return part(
          index,
          'interest',
          text,
          withFeedback(index.bm25, seed, scores(index.bm25, seed), index.idRank),
        );
      }),
  ];
  const n = index.papers.length;
  const sum = new Float64Array(n);
  for (let i = 0; i < n; i++) for (const p of parts) sum[i] = (sum[i] ?? 0) + (p.strength[i] ?? 0);
  const best = Math.max(0, ...sum);
  const w = index.options.trendingWeight;
  const scored = [...sum.keys()]
    .filter((i) => (sum[i] ?? 0) > 0)
    .map((i) => {
      const relevance = (sum[i] ?? 0) / (best || 1);
      const trending = index.trending[i] ?? 0;
      return { i, relevance, trending, score: (1 - w) * relevance + w * trending };
    })
    .sort((a, b) => b.score - a.score || (index.idRank[a.i] ?? 0) - (index.idRank[b.i] ?? 0));

  const excludes = prefs.excludes.map(tokenize).filter((phrase) => phrase.length > 0);
  const keep = (i: number) =>
    !prefs.alreadySent?.has(index.papers[i]?.id ?? '') &&
    !excludes.some((phrase) => index.bm25.frequency(phrase, i) > 0);
  const authorsOf = new Map<number, string[]>();
  for (const author of prefs.authors)
    for (const [i, paper] of index.papers.entries())
      if (paper.authors.some((a) => a.trim().toLowerCase() === author.trim().toLowerCase()))
        authorsOf.set(i, [...(authorsOf.get(i) ?? []), author]);
  const followed = [...authorsOf.keys()]
    .filter(keep)
    .map((i) => {
      const base = scored.find((c) => c.i === i) ?? {
        i,
        relevance: 0,
        trending: index.trending[i] ?? 0,
        score: 0,
      };
      return { ...base, score: base.score + AUTHOR_BONUS };
    })
    .sort((a, b) => b.score - a.score || (index.idRank[a.i] ?? 0) - (index.idRank[b.i] ?? 0));
  const others = scored.filter((c) => !authorsOf.has(c.i) && keep(c.i)).slice(0, reachable(prefs.limit));
  const selection = selectDiverse(
    index.similarity,
    [...followed, ...others],
    prefs.limit,
    index.options.diversity,
  );
  return selection.map((c) => ({
    paper: index.papers[c.i] as Paper,
    score: c.score,
    relevance: c.relevance,
    trending: c.trending,
    why: {
      topics: parts.filter((p) => p.kind === 'topic' && (p.strength[c.i] ?? 0) > 0).map((p) => p.label),
      terms: terms(index, parts, c.i),
      authors: authorsOf.get(c.i) ?? [],
      trendingRank: index.trendingRank[c.i] ?? null,
    },
  }));
}

/**
 * What sharing means for a reader's result: readers with the same topics and interests share
 * one ranking, made in the first such reader's order of them (the order of `why.topics`), and
 * interests with the same meaningful words share one part, built from the first such text. The
 * ranker keeps only the most recently used sets and interests (`limits`): one that comes back
 * after being dropped is made again, from the reader who brings it back. The returned function
 * gives each reader, taken in planning order, the preferences with which `rankPapersReference`
 * reproduces that.
 */
export function sharedPreferences(limits: CacheLimits = CACHE_LIMITS): (prefs: Preferences) => Preferences {
  // The ranker's caches, mirrored: the same keys, asked for in the same order.
  const sets = new LRUCache<string, Pick<Preferences, 'topics' | 'interests'>>({ max: limits.sets });
  const topics = new Map<string, Preferences['topics'][number]>();
  const texts = new LRUCache<string, string>({ max: limits.interests });
  const first = <T extends {}>(
    seen: Pick<Map<string, T>, 'get' | 'set'> | LRUCache<string, T>,
    key: string,
    value: T,
  ): T => {
    const found = seen.get(key);
    if (found !== undefined) return found;
    seen.set(key, value);
    return value;
  };
  return (prefs) => {
    const interests = prefs.interests.filter((text) => text.trim());
    const key = sharedKey(prefs.topics, interests);
    let shared = sets.get(key);
    if (!shared) {
      shared = {
        topics: prefs.topics.map((topic) => first(topics, topic.slug, topic)),
        interests: interests.map((text) => first(texts, interestKey(text), text)),
      };
      sets.set(key, shared);
    }
    return { ...prefs, ...shared };
  };
}
