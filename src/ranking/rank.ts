import { LRUCache } from 'lru-cache';
import type { Paper } from '../papers/paper.ts';
import { Bm25Index, type DocFields } from './bm25.ts';
import { DiverseSelection, reachable, Similarity } from './diversity.ts';
import { NEIGHBOUR_WEIGHT, NEIGHBOURS, Neighbours } from './neighbours.ts';
import { type Explanation, explanationOf, interestPart, type Part, topicPart } from './parts.ts';
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
  /** Score regularisation (neighbours.ts): how many similar papers vouch for a match… */
  neighbours: number;
  /** …and the share of its score they make, 0 to below 1 (0: matches ordered by their own scores). */
  neighbourWeight: number;
  now: Date;
}

/** A paper as ranking takes it: any paper, plus its upvote rise when the planner knows it. */
export type RankablePaper = Paper & Pick<TrendingInput, 'upvotesGained'>;

const DEFAULTS = {
  trendingWeight: 0.3,
  diversity: 0.75,
  neighbours: NEIGHBOURS,
  neighbourWeight: NEIGHBOUR_WEIGHT,
};
/** Followed authors outrank any mix of relevance and trending (each at most 1). */
const AUTHOR_BONUS = 10;

/**
 * How much of a run's shared work it keeps: the most recently used preference sets and interests'
 * parts. Bounds on memory, not on correctness: what comes back after being dropped is made again
 * (from the reader who brings it back, which reference.ts `sharedPreferences` mirrors). Most
 * readers' free-text interests are their own, so without bounds both grow with the readers.
 */
export interface CacheLimits {
  /** Distinct topic-and-interest sets: their candidates and selection, ~5 KB each with 500 papers. */
  sets: number;
  /** Interests' parts: numbers per paper, ~14 KB each with 500 papers. */
  interests: number;
}

/** Sized with bench/delivery.ts --distinct-interests and bench/ranking-speed.ts; see README "Memory". */
export const CACHE_LIMITS: CacheLimits = { sets: 5_000, interests: 1_000 };
/** Explanations of papers matching several of a set's parts, and excluded words' masks, kept per run. */
const EXPLANATIONS_KEPT = 10_000;
const EXCLUDES_KEPT = 1_000;

/**
 * What readers with the same topics and interests share: their parts, and the papers those match
 * (the candidates) best first, as parallel arrays.
 */
interface Shared {
  parts: Part[];
  /** Candidate k is paper `papers[k]`, with `scores[k]` and `relevance[k]`; best score first, ties by id. */
  papers: Int32Array;
  scores: Float64Array;
  relevance: Float64Array;
  /** Candidate k's explanation (its topics and matched terms), made on first use. */
  explanations: (Explanation | undefined)[];
  /** The MMR selection of the candidates, for readers who filter none of them out; filled on demand. */
  selection?: DiverseSelection;
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
  topicParts: Map<string, Part>;
  interestParts: LRUCache<string, Part>;
  /** The recently used sets' shared work, by `sharedKey`. */
  shared: LRUCache<string, Shared>;
  /** Lower-cased author name → the papers they wrote, for followed authors. */
  byAuthor: Map<string, number[]>;
  similarity: Similarity;
  /** Each paper's most similar papers, for score regularisation. */
  neighbours: Neighbours;
  /** Each paper's position in id order (the tie-break). */
  idRank: Int32Array;
  /** Zeroed working space of one number per paper, reused by every reader. */
  scratch: Float64Array;
  /** Working space of one number per paper (a candidate's score while sorting). */
  work: Float64Array;
  /** Working space: the papers a set's parts match. */
  touched: Int32Array;
  /** See `explanationOf`. */
  explanations: LRUCache<string, Explanation>;
  /** The MMR working space of a reader whose candidates were filtered (not shared), reused. */
  readerSelection: DiverseSelection;
  /** An excluded word or phrase as a reader wrote it → 1 for each paper containing it (false: no words in it); the recent ones. */
  excluded: LRUCache<string, Uint8Array | false>;
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
  limits: CacheLimits = CACHE_LIMITS,
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
  const similarity = new Similarity(bm25, papers.length);
  return {
    papers,
    bm25,
    docs,
    trending: Float64Array.from(raw, (value) => (top > 0 ? value / top : 0)),
    trendingRank,
    options: settings,
    topicParts: new Map(),
    interestParts: new LRUCache({ max: limits.interests }),
    shared: new LRUCache({ max: limits.sets }),
    byAuthor,
    similarity,
    neighbours: new Neighbours(similarity, idRank, settings.neighbours, settings.neighbourWeight),
    idRank,
    scratch: new Float64Array(papers.length),
    work: new Float64Array(papers.length),
    touched: new Int32Array(papers.length),
    explanations: new LRUCache({ max: EXPLANATIONS_KEPT }),
    excluded: new LRUCache({ max: EXCLUDES_KEPT }),
    readerSelection: new DiverseSelection(similarity, settings.diversity),
  };
}

/**
 * Readers with the same topics and (non-blank) interests, in any order, share one ranking under
 * this key: made with the first such reader's order of topics (the order of `why.topics`).
 */
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
  const { scratch, work, touched, trending, idRank } = index;
  let count = 0;
  for (const { matches, strengths } of parts) {
    for (let m = 0; m < matches.length; m++) {
      const i = matches[m] as number;
      const sum = scratch[i] as number;
      if (sum === 0) touched[count++] = i;
      scratch[i] = sum + (strengths[m] as number);
    }
  }
  let best = 0;
  for (let t = 0; t < count; t++) best = Math.max(best, scratch[touched[t] as number] as number);
  const w = index.options.trendingWeight;
  // Relevance goes to `scratch`, the score to `work`, until the candidates are sorted.
  for (let t = 0; t < count; t++) {
    const i = touched[t] as number;
    const relevance = (scratch[i] as number) / (best || 1);
    scratch[i] = relevance;
    work[i] = (1 - w) * relevance + w * (trending[i] as number);
  }
  // The three candidate arrays share one buffer: one allocation per set, freed with it.
  const buffer = new ArrayBuffer(count * 20);
  const shared: Shared = {
    parts,
    scores: new Float64Array(buffer, 0, count),
    relevance: new Float64Array(buffer, count * 8, count),
    papers: new Int32Array(buffer, count * 16, count),
    explanations: [],
  };
  byScore(touched.subarray(0, count), work, idRank, shared.papers);
  for (let k = 0; k < count; k++) {
    const i = shared.papers[k] as number;
    shared.scores[k] = work[i] as number;
    shared.relevance[k] = scratch[i] as number;
  }
  for (let t = 0; t < count; t++) scratch[touched[t] as number] = 0;
  index.shared.set(key, shared);
  return shared;
}

/** Working space for `byScore`. */
let sortSpace = new Float64Array(512);

/**
 * Writes `papers` to `order` best `score` first, ties by id. The scores are sorted as numbers
 * (natively, no comparator) and each paper finds its place by binary search; only papers with
 * equal scores, rare, need a comparator. A comparator sort of every set's candidates was
 * ranking's hottest line.
 */
function byScore(papers: Int32Array, score: Float64Array, idRank: Int32Array, order: Int32Array): Int32Array {
  const count = papers.length;
  if (sortSpace.length < count) sortSpace = new Float64Array(count * 2);
  const sorted = sortSpace.subarray(0, count);
  for (let k = 0; k < count; k++) sorted[k] = score[papers[k] as number] as number;
  sorted.sort();
  /** How many of the scores are at most s (so `count − atMost(s)` are better than s). */
  const atMost = (s: number) => {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as number) <= s) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const ties: number[] = [];
  for (const i of papers) {
    const s = score[i] as number;
    const upTo = atMost(s);
    if (upTo >= 2 && sorted[upTo - 2] === s) ties.push(i);
    else order[count - upTo] = i;
  }
  if (ties.length > 0) {
    ties.sort(
      (a, b) => (score[b] as number) - (score[a] as number) || (idRank[a] as number) - (idRank[b] as number),
    );
    let offset = 0;
    ties.forEach((i, t) => {
      const s = score[i] as number;
      offset = t > 0 && score[ties[t - 1] as number] === s ? offset + 1 : 0;
      order[count - atMost(s) + offset] = i;
    });
  }
  return order;
}

/** 1 for each paper containing the excluded word or phrase; false when it has no words. */
function excludedBy(index: PaperIndex, text: string): Uint8Array | false {
  let mask = index.excluded.get(text);
  if (mask === undefined) {
    const phrase = tokenize(text);
    mask = false;
    if (phrase.length > 0) {
      mask = new Uint8Array(index.papers.length);
      for (const i of index.bm25.matching(phrase)) mask[i] = 1;
    }
    index.excluded.set(text, mask);
  }
  return mask;
}

/** The papers a reader must not get: containing an excluded word, or already sent. */
function filterOf(index: PaperIndex, prefs: Preferences): ((i: number) => boolean) | null {
  const masks = prefs.excludes.map((text) => excludedBy(index, text)).filter((mask) => mask !== false);
  const sent = prefs.alreadySent;
  if (masks.length === 0 && !sent?.size) return null;
  return (i) => (sent?.has(index.papers[i]?.id ?? '') ?? false) || masks.some((mask) => mask[i] === 1);
}

function explanationAt(index: PaperIndex, shared: Shared, k: number): Explanation {
  let found = shared.explanations[k];
  if (!found) {
    found = explanationOf(index, shared.parts, shared.papers[k] as number);
    shared.explanations[k] = found;
  }
  return found;
}

/** Candidate k's entry for a reader who follows none of its authors. */
function entryOf(index: PaperIndex, shared: Shared, k: number): RankedPaper {
  const i = shared.papers[k] as number;
  const { topics, terms } = explanationAt(index, shared, k);
  return {
    paper: index.papers[i] as Paper,
    score: shared.scores[k] as number,
    relevance: shared.relevance[k] as number,
    trending: index.trending[i] as number,
    why: {
      topics: topics as string[],
      terms: terms as string[],
      authors: NO_AUTHORS,
      trendingRank: index.trendingRank[i] ?? null,
    },
  };
}

/** Shared by every entry without a followed author, like the topics and terms (all frozen). */
const NO_AUTHORS: string[] = Object.freeze([]) as unknown as string[];

/** Working space for a filtered reader's candidates (paper, score, and candidate k or −1 for a followed author's). */
let poolPapers = new Int32Array(64);
let poolScores = new Float64Array(64);
let poolFrom = new Int32Array(64);

function ensurePool(size: number): void {
  if (poolPapers.length >= size) return;
  poolPapers = new Int32Array(size * 2);
  poolScores = new Float64Array(size * 2);
  poolFrom = new Int32Array(size * 2);
}

/**
 * Ranks the day's papers for one reader. Relevance is the sum, over the reader's topics and
 * interests, of each one's share of its best match today (0 without enough evidence; the shares
 * of score regularised by similar papers', see neighbours.ts), scaled so
 * the reader's best paper is 1; the score is (1 − w)·relevance + w·trending; maximal marginal
 * relevance then fills `limit` slots so near-identical papers do not crowd the digest. Followed
 * authors' papers come first; excluded words and papers already sent never appear.
 * Deterministic: ties break by paper id. Readers with the same topics and interests share the
 * work; the explanations' arrays are shared too, and frozen.
 */
export function rankPapers(index: PaperIndex, prefs: Preferences): RankedPaper[] {
  const shared = sharedFor(index, prefs.topics, prefs.interests);
  const dropped = filterOf(index, prefs);
  let authorsOf: Map<number, string[]> | undefined;
  for (const author of prefs.authors) {
    for (const i of index.byAuthor.get(author.trim().toLowerCase()) ?? []) {
      authorsOf ??= new Map();
      authorsOf.set(i, [...(authorsOf.get(i) ?? []), author]);
    }
  }
  const followed = authorsOf ? followedCandidates(index, shared, authorsOf, dropped) : [];
  const limit = prefs.limit;
  const wanted = followed.length + reachable(limit);
  ensurePool(wanted);
  // The reader's candidates: followed authors' papers first, then the shared candidates they keep.
  let size = 0;
  for (const f of followed) {
    poolPapers[size] = f.i;
    poolScores[size] = f.score;
    poolFrom[size++] = -1;
  }
  let filtered = size > 0;
  const { papers, scores } = shared;
  for (let k = 0; k < papers.length && size < wanted; k++) {
    const i = papers[k] as number;
    if (authorsOf?.has(i) || dropped?.(i)) {
      filtered = true;
      continue;
    }
    poolPapers[size] = i;
    poolScores[size] = scores[k] as number;
    poolFrom[size++] = k;
  }
  if (!filtered) {
    shared.selection ??= new DiverseSelection(index.similarity, index.options.diversity).reset(
      papers,
      scores,
      papers.length,
    );
    const { selection } = shared;
    selection.fill(limit);
    const out: RankedPaper[] = new Array(Math.min(limit, selection.filled));
    for (let j = 0; j < out.length; j++) out[j] = entryOf(index, shared, selection.chosen[j] as number);
    return out;
  }
  const selection = index.readerSelection.reset(poolPapers, poolScores, size);
  selection.fill(limit);
  const out: RankedPaper[] = new Array(selection.filled);
  for (let j = 0; j < out.length; j++) {
    const c = selection.chosen[j] as number;
    const k = poolFrom[c] as number;
    out[j] =
      k >= 0 ? entryOf(index, shared, k) : followedEntry(index, shared, followed[c] as Followed, authorsOf);
  }
  return out;
}

/** A followed author's paper among a reader's candidates: its place in the shared list (−1: none). */
interface Followed {
  i: number;
  k: number;
  score: number;
}

/** The reader's followed authors' papers they may get, best first, each scored with the author bonus. */
function followedCandidates(
  index: PaperIndex,
  shared: Shared,
  authorsOf: Map<number, string[]>,
  dropped: ((i: number) => boolean) | null,
): Followed[] {
  const followed: Followed[] = [];
  for (const i of authorsOf.keys()) {
    if (dropped?.(i)) continue;
    const k = shared.papers.indexOf(i);
    followed.push({ i, k, score: (k >= 0 ? (shared.scores[k] as number) : 0) + AUTHOR_BONUS });
  }
  const { idRank } = index;
  return followed.sort((a, b) => b.score - a.score || (idRank[a.i] as number) - (idRank[b.i] as number));
}

function followedEntry(
  index: PaperIndex,
  shared: Shared,
  f: Followed,
  authorsOf: Map<number, string[]> | undefined,
): RankedPaper {
  const { topics, terms } =
    f.k >= 0 ? explanationAt(index, shared, f.k) : explanationOf(index, shared.parts, f.i);
  return {
    paper: index.papers[f.i] as Paper,
    score: f.score,
    relevance: f.k >= 0 ? (shared.relevance[f.k] as number) : 0,
    trending: index.trending[f.i] as number,
    why: {
      topics: topics as string[],
      terms: terms as string[],
      authors: authorsOf?.get(f.i) ?? [],
      trendingRank: index.trendingRank[f.i] ?? null,
    },
  };
}

/**
 * The empty-digest fallback: today's most trending papers the reader has not had and has not
 * excluded, labelled as such. Empty when no paper has signals.
 */
export function trendingFallback(index: PaperIndex, prefs: Preferences): RankedPaper[] {
  const dropped = filterOf(index, prefs);
  return index.papers
    .map((paper, i) => ({ paper, i, rank: index.trendingRank[i] ?? null }))
    .filter(({ i, rank }) => rank !== null && !dropped?.(i))
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
  // A paper's topics and terms are one frozen explanation shared by every reader it is ranked for
  // (see explanationOf), so without a followed author its line is the same for all of them: made
  // once, it is not joined again for each (~100 MB of strings planning 20,000 readers). Only
  // frozen lists are trusted to say the same thing next time.
  if (why.authors.length > 0 || why.fallback || !Object.isFrozen(why.topics) || !Object.isFrozen(why.terms))
    return explanationLine(why);
  const kept = linesByTopics.get(why.topics);
  if (kept && kept.terms === why.terms && kept.trendingRank === why.trendingRank) return kept.line;
  const line = explanationLine(why);
  linesByTopics.set(why.topics, { terms: why.terms, trendingRank: why.trendingRank, line });
  return line;
}

const linesByTopics = new WeakMap<
  readonly string[],
  { terms: readonly string[]; trendingRank: number | null; line: string }
>();

function explanationLine(why: Why): string {
  const parts: string[] = why.fallback ? ['nothing matched your topics today; trending instead'] : [];
  if (why.authors.length > 0) parts.push(`by ${why.authors.join(', ')}, whom you follow`);
  if (why.topics.length > 0) parts.push(why.topics.join(', '));
  if (why.terms.length > 0) parts.push(`matched ${why.terms.map((term) => `“${term}”`).join(', ')}`);
  if (why.trendingRank !== null) parts.push(`trending #${why.trendingRank}`);
  return parts.join(' · ');
}
