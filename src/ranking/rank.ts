import type { Paper } from '../papers/paper.ts';
import { Bm25Index, type DocFields } from './bm25.ts';
import { reachable, Similarity, selectDiverse } from './diversity.ts';
import { interestPart, matchedTerms, type Part, topicPart } from './parts.ts';
import type { RankingTopic } from './query.ts';
import { tokenize } from './text.ts';
import { type TrendingInput, trendingSignal } from './trending.ts';

/** What a reader asked for, as ranking needs it. */
export interface Preferences {
  topics: readonly RankingTopic[];
  interests: readonly string[];
  authors: readonly string[];
  excludes: readonly string[];
  limit: number;
  /** Papers this reader already received; never ranked again. */
  alreadySent?: ReadonlySet<string>;
}

/** Why a paper was chosen, short enough for one line of an email. */
export interface Why {
  topics: string[];
  terms: string[];
  authors: string[];
  trendingRank: number | null;
  /** Chosen only because nothing matched the reader's topics today (the trending fallback). */
  fallback?: boolean;
}

/** One ranked paper with its scores (relevance and trending in [0, 1]) and explanation. */
export interface RankedPaper {
  paper: Paper;
  score: number;
  relevance: number;
  trending: number;
  why: Why;
}

/** How relevance and trending combine; see README "Ranking" for the formula. */
export interface RankingOptions {
  /** w in score = (1 − w)·relevance + w·trending. */
  trendingWeight: number;
  /** λ of maximal marginal relevance: 1 ignores diversity, lower values spread the digest. */
  diversity: number;
  now: Date;
}

/** A paper as ranking takes it: any paper, plus its upvote rise when the planner knows it. */
export type RankablePaper = Paper & Pick<TrendingInput, 'upvotesGained'>;

const DEFAULTS = { trendingWeight: 0.3, diversity: 0.75 };
/** Followed authors outrank any mix of relevance and trending (each at most 1). */
const AUTHOR_BONUS = 10;
/** Distinct topic-and-interest sets remembered per run (a bound on memory, not on correctness). */
export const SHARED_LIMIT = 50_000;
/** Shared selections are made at least this long (the largest papers-per-email a reader can choose). */
const MMR_SHARED_LIMIT = 25;

interface Scored {
  i: number;
  relevance: number;
  trending: number;
  score: number;
}

/** What readers with the same topics and interests share: parts, sorted scores, explanations. */
interface Shared {
  parts: Part[];
  scored: Scored[];
  terms: Map<number, string[]>;
  /** The MMR selection of the unfiltered candidates, made at `selectionLimit`. */
  selection?: Scored[];
  selectionLimit: number;
}

/** The day's papers, indexed once per run; every reader's ranking reads it. */
export interface PaperIndex {
  papers: readonly RankablePaper[];
  bm25: Bm25Index;
  docs: readonly DocFields[];
  /** Trending in [0, 1] (1 for the day's most talked-about paper). */
  trending: Float64Array;
  trendingRank: (number | null)[];
  options: RankingOptions;
  parts: Map<string, Part>;
  shared: Map<string, Shared>;
  /** Lower-cased author name → the papers they wrote, for followed authors. */
  byAuthor: Map<string, number[]>;
  similarity: Similarity;
  /** Each paper's position in id order (the tie-break). */
  idRank: Int32Array;
  /** Zeroed working space of one number per paper, reused by every reader. */
  scratch: Float64Array;
}

/** Each paper's position in id order, so ties break by id with a number comparison. */
function idOrder(papers: readonly Paper[]): Int32Array {
  const ids = papers.map((paper) => paper.id);
  const order = new Int32Array(papers.length);
  [...ids.keys()]
    .sort((a, b) => ((ids[a] ?? '') < (ids[b] ?? '') ? -1 : (ids[a] ?? '') > (ids[b] ?? '') ? 1 : 0))
    .forEach((i, position) => {
      order[i] = position;
    });
  return order;
}

/** Indexes the day's papers: tokens, BM25 statistics, trending, authors. Pure: `now` comes in options. */
export function indexPapers(
  papers: readonly RankablePaper[],
  options: Partial<RankingOptions> = {},
): PaperIndex {
  const settings: RankingOptions = { ...DEFAULTS, now: new Date(), ...options };
  const docs = papers.map((paper) => ({
    title: tokenize(paper.title),
    abstract: tokenize(paper.abstract),
    keywords: paper.keywords.flatMap(tokenize),
  }));
  const bm25 = new Bm25Index(docs);
  const raw = papers.map((paper) => trendingSignal(paper, settings.now));
  const top = Math.max(0, ...raw);
  const idRank = idOrder(papers);
  const trendingRank: (number | null)[] = papers.map(() => null);
  [...raw.keys()]
    .filter((i) => (raw[i] ?? 0) > 0)
    .sort((a, b) => (raw[b] ?? 0) - (raw[a] ?? 0) || (idRank[a] ?? 0) - (idRank[b] ?? 0))
    .forEach((i, rank) => {
      trendingRank[i] = rank + 1;
    });
  const byAuthor = new Map<string, number[]>();
  papers.forEach((paper, i) => {
    for (const name of new Set(paper.authors.map((a) => a.trim().toLowerCase())))
      byAuthor.set(name, [...(byAuthor.get(name) ?? []), i]);
  });
  return {
    papers,
    bm25,
    docs,
    trending: Float64Array.from(raw, (value) => (top > 0 ? value / top : 0)),
    trendingRank,
    options: settings,
    parts: new Map(),
    shared: new Map(),
    byAuthor,
    similarity: new Similarity(bm25, papers.length),
    idRank,
    scratch: new Float64Array(papers.length),
  };
}

/** Readers with the same topics and (non-blank) interests, in any order, share one ranking under this key. */
export function sharedKey(topics: readonly RankingTopic[], texts: readonly string[]): string {
  return `${topics
    .map((t) => t.slug)
    .sort()
    .join(',')}\n${[...texts].sort().join('\n')}`;
}

/** The reader-independent work for these topics and interests: matching papers, scored and sorted. */
function sharedFor(index: PaperIndex, topics: readonly RankingTopic[], interests: readonly string[]): Shared {
  const texts = interests.filter((text) => text.trim());
  const key = sharedKey(topics, texts);
  const cached = index.shared.get(key);
  if (cached) return cached;
  const parts = [
    ...topics.map((topic) => topicPart(index, topic)),
    ...texts.map((text) => interestPart(index, text)),
  ];
  // Sum the parts' shares in a scratch array, touching only papers some part matches.
  const { scratch } = index;
  const touched: number[] = [];
  for (const part of parts) {
    for (const i of part.matches) {
      if (scratch[i] === 0) touched.push(i);
      scratch[i] = (scratch[i] ?? 0) + (part.strength[i] ?? 0);
    }
  }
  let best = 0;
  for (const i of touched) best = Math.max(best, scratch[i] ?? 0);
  const w = index.options.trendingWeight;
  const scored: Scored[] = touched.map((i) => {
    const relevance = (scratch[i] ?? 0) / (best || 1);
    scratch[i] = 0;
    const trending = index.trending[i] ?? 0;
    return { i, relevance, trending, score: (1 - w) * relevance + w * trending };
  });
  scored.sort((a, b) => b.score - a.score || (index.idRank[a.i] ?? 0) - (index.idRank[b.i] ?? 0));
  const shared: Shared = { parts, scored, terms: new Map<number, string[]>(), selectionLimit: 0 };
  if (index.shared.size < SHARED_LIMIT) index.shared.set(key, shared);
  return shared;
}

/** Whether paper `i` contains any of the excluded words or phrases. */
function isExcluded(index: PaperIndex, excludes: readonly (readonly string[])[], i: number): boolean {
  return excludes.some((phrase) => index.bm25.frequency(phrase, i) > 0);
}

/**
 * Ranks the day's papers for one reader. Relevance is the sum, over the reader's topics and
 * interests, of each one's share of its best match today (0 without enough evidence), scaled so
 * the reader's best paper is 1; the score is (1 − w)·relevance + w·trending; maximal marginal
 * relevance then fills `limit` slots so near-identical papers do not crowd the digest. Followed
 * authors' papers come first; excluded words and papers already sent never appear.
 * Deterministic: ties break by paper id.
 */
export function rankPapers(index: PaperIndex, prefs: Preferences): RankedPaper[] {
  const shared = sharedFor(index, prefs.topics, prefs.interests);
  const excludes = prefs.excludes.map(tokenize).filter((phrase) => phrase.length > 0);
  const keep = (i: number) =>
    !prefs.alreadySent?.has(index.papers[i]?.id ?? '') && !isExcluded(index, excludes, i);
  const authorsOf = new Map<number, string[]>();
  for (const author of prefs.authors) {
    for (const i of index.byAuthor.get(author.trim().toLowerCase()) ?? [])
      authorsOf.set(i, [...(authorsOf.get(i) ?? []), author]);
  }
  const pool: Scored[] = [...authorsOf.keys()]
    .filter(keep)
    .map((i) => {
      const base = shared.scored.find((c) => c.i === i) ?? {
        i,
        relevance: 0,
        trending: index.trending[i] ?? 0,
        score: 0,
      };
      return { ...base, score: base.score + AUTHOR_BONUS };
    })
    .sort((a, b) => b.score - a.score || (index.idRank[a.i] ?? 0) - (index.idRank[b.i] ?? 0));
  const wanted = pool.length + reachable(prefs.limit);
  let filtered = pool.length > 0;
  for (const c of shared.scored) {
    if (pool.length >= wanted) break;
    if (!authorsOf.has(c.i) && keep(c.i)) pool.push(c);
    else filtered = true;
  }
  // Greedy MMR picks the same first k whatever the limit, so readers whose candidates were not
  // filtered share one selection, made once at the largest limit asked for.
  let selection: Scored[];
  if (filtered) selection = selectDiverse(index.similarity, pool, prefs.limit, index.options.diversity);
  else {
    if (!shared.selection || (shared.selection.length < prefs.limit && shared.selectionLimit < prefs.limit)) {
      const limit = Math.max(prefs.limit, MMR_SHARED_LIMIT);
      shared.selection = selectDiverse(
        index.similarity,
        shared.scored.slice(0, reachable(limit)),
        limit,
        index.options.diversity,
      );
      shared.selectionLimit = limit;
    }
    selection = shared.selection.slice(0, prefs.limit);
  }
  return selection.map((c) => {
    let terms = shared.terms.get(c.i);
    if (!terms) {
      terms = matchedTerms(index, shared.parts, c.i);
      shared.terms.set(c.i, terms);
    }
    return {
      paper: index.papers[c.i] as Paper,
      score: c.score,
      relevance: c.relevance,
      trending: c.trending,
      why: {
        topics: shared.parts
          .filter((part) => part.kind === 'topic' && (part.strength[c.i] ?? 0) > 0)
          .map((part) => part.label),
        terms,
        authors: authorsOf.get(c.i) ?? [],
        trendingRank: index.trendingRank[c.i] ?? null,
      },
    };
  });
}

/**
 * The empty-digest fallback: today's most trending papers the reader has not had and has not
 * excluded, labelled as such. Empty when no paper has signals.
 */
export function trendingFallback(index: PaperIndex, prefs: Preferences): RankedPaper[] {
  const excludes = prefs.excludes.map(tokenize).filter((phrase) => phrase.length > 0);
  return index.papers
    .map((paper, i) => ({ paper, i, rank: index.trendingRank[i] ?? null }))
    .filter(
      ({ paper, i, rank }) =>
        rank !== null && !prefs.alreadySent?.has(paper.id) && !isExcluded(index, excludes, i),
    )
    .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))
    .slice(0, prefs.limit)
    .map(({ paper, i, rank }) => ({
      paper,
      score: index.trending[i] ?? 0,
      relevance: 0,
      trending: index.trending[i] ?? 0,
      why: { topics: [], terms: [], authors: [], trendingRank: rank, fallback: true },
    }));
}

/** "Graph neural networks · matched “gnn”, “message passing” · trending #3" */
export function explain(why: Why): string {
  const parts: string[] = why.fallback ? ['nothing matched your topics today; trending instead'] : [];
  if (why.authors.length > 0) parts.push(`by ${why.authors.join(', ')}, whom you follow`);
  if (why.topics.length > 0) parts.push(why.topics.join(', '));
  if (why.terms.length > 0) parts.push(`matched ${why.terms.map((term) => `“${term}”`).join(', ')}`);
  if (why.trendingRank !== null) parts.push(`trending #${why.trendingRank}`);
  return parts.join(' · ');
}
