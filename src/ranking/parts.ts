import type { LRUCache } from 'lru-cache';
import { TOPICS } from '../topics/taxonomy.ts';
import { Bm25Index, type DocFields, positionOf, type QueryTerm, type TermPostings } from './bm25.ts';
import { type Neighbours, regularisedScore } from './neighbours.ts';
import { type RankingTopic, textQuery, topicQuery, withFeedback } from './query.ts';
import { contentTokens, tokenize } from './text.ts';

/**
 * A part needs real evidence to match a paper: its terms must cover enough of it (the weights of
 * the distinct terms found, doubled in the title: one title term, or two abstract terms)…
 */
export const MIN_COVERAGE = 2;
/** …and a fair share of the part's best score today, so weak matches never pad a digest. */
export const PART_FLOOR = 0.25;
/** A free-text interest borrows a built-in topic's terms (at this weight) only when it clearly reads like it. */
const THESAURUS_WEIGHT = 0.5;
const THESAURUS_MIN_SCORE = 4;
const THESAURUS_LEAD = 0.85;

/** One thing a reader asked for (a topic or an interest), scored against the day's papers once per run. */
export interface Part {
  /** Unique in the process, so explanations can be cached by the parts a paper matches. */
  id: number;
  kind: 'topic' | 'interest';
  label: string;
  query: QueryTerm[];
  /**
   * The papers it matches, in index order: combining parts touches only those, and a part costs
   * memory for its matches, not for every paper of the day (see `matchAt`).
   */
  matches: Int32Array;
  /**
   * Per match (parallel to `matches`): its score regularised by its neighbours' (neighbours.ts),
   * as a share of the best one's among the matches.
   */
  strengths: Float64Array;
  /** Each query term's postings, in query order. */
  postings: TermPostings[];
  /** Per paper, filled on demand: its three strongest terms and what they contributed, for explanations. */
  contributions: Map<number, [string, number][]>;
  /** Per match (parallel to `matches`) that matches this part alone among a reader's, filled on demand: its explanation. */
  explanations: (Explanation | undefined)[];
}

/** Where paper `i` is among the part's matches, or −1 where it does not match (or with no strength). */
export function matchAt(part: Part, i: number): number {
  const at = positionOf(part.matches, i);
  return at >= 0 && (part.strengths[at] as number) > 0 ? at : -1;
}

/** What parts are built from: the day's BM25 index, tokens and each paper's most similar papers. */
export interface PartSource {
  bm25: Bm25Index;
  docs: readonly DocFields[];
  neighbours: Neighbours;
  /** Each paper's position in id order (the tie-break). */
  idRank: Int32Array;
  /** Each topic's part: as many as there are topics. */
  topicParts: Map<string, Part>;
  /**
   * The recently used interests' parts, by their meaningful words. Bounded: most readers' interests
   * are their own, and a part holds numbers per paper. One that comes back is built again, from
   * the text of the reader who brings it back (see reference.ts `sharedPreferences`).
   */
  interestParts: LRUCache<string, Part>;
  /** Paper and the ids of the parts it matches → its explanation (see `explanationOf`); the recent ones. */
  explanations: LRUCache<string, Explanation>;
}

/** Why a paper matches a reader's parts: the topics among them, and the terms that did most. */
export interface Explanation {
  topics: readonly string[];
  terms: readonly string[];
}

let nextPartId = 0;

function buildPart(source: PartSource, kind: Part['kind'], label: string, query: QueryTerm[]): Part {
  const scores = source.bm25.score(query);
  const postings = query.map((term) => source.bm25.termPostings(term.tokens));
  // Each paper's coverage: the weights of the query terms it contains, doubled for the title.
  const coverage = new Float64Array(scores.length);
  for (const [t, term] of query.entries()) {
    const { docs, inTitle } = postings[t] as TermPostings;
    for (let at = 0; at < docs.length; at++) {
      const i = docs[at] as number;
      coverage[i] = (coverage[i] as number) + term.weight * (inTitle[at] ? 2 : 1);
    }
  }
  const best = Math.max(0, ...scores);
  const matching: number[] = [];
  scores.forEach((score, i) => {
    if (score <= 0 || score < PART_FLOOR * best || (coverage[i] as number) < MIN_COVERAGE) return;
    matching.push(i);
  });
  // Which papers match is decided on their own evidence; how they rank, with their neighbours'.
  const regularised = matching.map((i) => regularisedScore(scores, i, source.neighbours));
  const top = Math.max(0, ...regularised);
  const count = matching.length;
  const buffer = new ArrayBuffer(count * 12);
  const strengths = new Float64Array(buffer, 0, count);
  const matches = new Int32Array(buffer, count * 8, count);
  matches.set(matching);
  regularised.forEach((score, m) => {
    strengths[m] = score / top;
  });
  return {
    id: nextPartId++,
    kind,
    label,
    query,
    matches,
    strengths,
    postings,
    contributions: new Map(),
    explanations: [],
  };
}

/** A built-in topic's part, built once per run. */
export function topicPart(source: PartSource, topic: RankingTopic): Part {
  let part = source.topicParts.get(topic.slug);
  if (!part) {
    part = buildPart(source, 'topic', topic.name, topicQuery(topic));
    source.topicParts.set(topic.slug, part);
  }
  return part;
}

let topicIndex: Bm25Index | undefined;

/** The built-in topics a free-text interest clearly reads like: the taxonomy as a thesaurus. */
export function topicsLike(text: string): RankingTopic[] {
  topicIndex ??= new Bm25Index(
    TOPICS.map((topic) => ({
      title: tokenize(topic.name),
      keywords: [...topic.queryTerms, ...(topic.synonyms ?? [])].flatMap(tokenize),
      abstract: tokenize(topic.description),
    })),
  );
  const scores = topicIndex.score(textQuery(text));
  const best = Math.max(0, ...scores);
  if (best < THESAURUS_MIN_SCORE) return [];
  // Only topics that clearly lead: a near tie between unrelated topics says the text is about neither.
  return TOPICS.filter((_topic, i) => (scores[i] ?? 0) >= THESAURUS_LEAD * best).slice(0, 2);
}

/** A free-text interest's own words, and the terms of the topics it reads like (before feedback). */
export function interestSeed(text: string): QueryTerm[] {
  const borrowed = topicsLike(text).flatMap((topic) =>
    topicQuery(topic).map((term) => ({ ...term, weight: term.weight * THESAURUS_WEIGHT })),
  );
  return [...textQuery(text), ...borrowed];
}

/**
 * A free-text interest's part: its own words, widened by the topics it reads like and by
 * pseudo-relevance feedback, so a paraphrase still finds papers that use the field's words.
 */
export function interestPart(source: PartSource, text: string): Part {
  const key = interestKey(text);
  let part = source.interestParts.get(key);
  if (!part) {
    const seed = interestSeed(text);
    part = buildPart(
      source,
      'interest',
      text,
      withFeedback(source.bm25, seed, source.bm25.score(seed), source.idRank),
    );
    source.interestParts.set(key, part);
  }
  return part;
}

/** Interests with the same meaningful words share a part: its key. */
export function interestKey(text: string): string {
  return contentTokens(text).join(' ');
}

/** A part's three strongest terms for paper `i` with their scores, computed once per (part, paper). */
function topTermsOf(part: Part, i: number): [string, number][] {
  let found = part.contributions.get(i);
  if (!found) {
    found = [];
    // termScore's product, with the factors looked up in the terms' postings (no string keys).
    part.query.forEach((term, t) => {
      const { docs, saturation, idf } = part.postings[t] as TermPostings;
      const at = positionOf(docs, i);
      if (at < 0) return;
      const score = term.weight * idf * (saturation[at] as number);
      if (score > 0) found?.push([term.label, score]);
    });
    found.sort(byScoreThenLabel);
    found.length = Math.min(found.length, 3);
    part.contributions.set(i, found);
  }
  return found;
}

const byScoreThenLabel = (a: [string, number], b: [string, number]) =>
  b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The query terms that did most for paper `i` across `parts`, in words a reader recognises. */
export function matchedTerms(parts: readonly Part[], i: number): string[] {
  const matching = parts.filter((part) => matchAt(part, i) >= 0);
  if (matching.length === 1 && matching[0]) return topTermsOf(matching[0], i).map(([label]) => label);
  const totals = new Map<string, number>();
  for (const part of matching) {
    for (const [label, score] of topTermsOf(part, i)) totals.set(label, (totals.get(label) ?? 0) + score);
  }
  return [...totals.entries()]
    .sort(byScoreThenLabel)
    .slice(0, 3)
    .map(([label]) => label);
}

/**
 * Paper `i`'s explanation for `parts` (in the reader's order): the labels of the topics it
 * matches and `matchedTerms`. It depends only on which parts match it, so it is made once per
 * paper and sequence of matching parts, and shared (frozen) by every reader and set that has it.
 */
export function explanationOf(source: PartSource, parts: readonly Part[], i: number): Explanation {
  let matching = 0;
  let only: Part | undefined;
  let onlyAt = -1;
  for (const part of parts) {
    const at = matchAt(part, i);
    if (at < 0) continue;
    matching++;
    only = part;
    onlyAt = at;
  }
  // Most papers match one part of a reader's: their explanation is kept on the part, by match.
  let key = '';
  if (!only || matching > 1) {
    key = `${i}`;
    for (const part of parts) if (matchAt(part, i) >= 0) key += `,${part.id}`;
  }
  let found = key ? source.explanations.get(key) : only?.explanations[onlyAt];
  if (!found) {
    const topics = parts
      .filter((part) => part.kind === 'topic' && matchAt(part, i) >= 0)
      .map((part) => part.label);
    found = Object.freeze({
      topics: Object.freeze(topics),
      terms: Object.freeze(matchedTerms(parts, i)),
    });
    if (key) source.explanations.set(key, found);
    else if (only) only.explanations[onlyAt] = found;
  }
  return found;
}
