import { LRUCache } from 'lru-cache';
import { countPhrase } from './text.ts';

/** A document's fields as tokens; the title weighs most, then keywords, then the abstract. */
export interface DocFields {
  title: readonly string[];
  abstract: readonly string[];
  keywords: readonly string[];
}

/** One query term: a token or a phrase of tokens, its weight, and the words a reader would recognise. */
export interface QueryTerm {
  tokens: readonly string[];
  weight: number;
  label: string;
}

/**
 * Where a term (token or phrase) occurs, with what BM25 needs per document precomputed once per
 * run, so scoring a query is one pass over its terms' documents with no look-ups.
 */
export interface TermPostings {
  /** The documents containing the term, in order. */
  docs: Int32Array;
  /** Per document (parallel to `docs`): f·(k1 + 1) / (f + k1·(1 − b + b·length/avgLength)). */
  saturation: Float64Array;
  /** Per document (parallel to `docs`): 1 where the term is in the title. */
  inTitle: Uint8Array;
  idf: number;
}

/** Where a phrase occurs: the documents containing it, in order, and its frequency in each (parallel). */
interface PhraseStats {
  docs: Int32Array;
  tf: Float64Array;
  df: number;
}

/** Where document `i` is in the sorted `docs`, or −1. */
export function positionOf(docs: Int32Array, i: number): number {
  let lo = 0;
  let hi = docs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const doc = docs[mid] as number;
    if (doc === i) return mid;
    if (doc < i) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

const FIELD_WEIGHTS = { title: 3, keywords: 2, abstract: 1 } as const;
/** Phrases and terms an index remembers (see `phraseCache`); sized with bench/delivery.ts --distinct-interests. */
const PHRASES_KEPT = 2_000;
const POSTINGS_KEPT = 2_000;
const K1 = 1.2;
const B = 0.75;

/** A BM25F index over the day's papers: built once per run, queried for every reader. */
export class Bm25Index {
  readonly size: number;
  private readonly tf: Map<string, number>[];
  private readonly lengths: Float64Array;
  private readonly avgLength: number;
  private readonly df = new Map<string, number>();
  /** token → the documents containing it, in order: queries touch only the documents that match. */
  private readonly postings = new Map<string, number[]>();
  /**
   * Recently used phrases and terms. Bounded: readers' free-text interests are mostly their own,
   * and each brings phrases no one else asks for (a phrase's frequencies are one number per
   * document). Either is recomputed, the same, when it comes back.
   */
  private readonly phraseCache = new LRUCache<string, PhraseStats>({ max: PHRASES_KEPT });
  private readonly postingsCache = new LRUCache<string, TermPostings>({ max: POSTINGS_KEPT });
  /** Per document: the length normalisation k1·(1 − b + b·length/avgLength). */
  private readonly norms: Float64Array;

  constructor(private readonly docs: readonly DocFields[]) {
    this.size = docs.length;
    this.lengths = new Float64Array(docs.length);
    this.tf = docs.map((doc, i) => {
      const tf = new Map<string, number>();
      for (const field of ['title', 'keywords', 'abstract'] as const) {
        for (const token of doc[field]) tf.set(token, (tf.get(token) ?? 0) + FIELD_WEIGHTS[field]);
        this.lengths[i] = (this.lengths[i] ?? 0) + doc[field].length * FIELD_WEIGHTS[field];
      }
      for (const token of tf.keys()) {
        this.df.set(token, (this.df.get(token) ?? 0) + 1);
        const list = this.postings.get(token);
        if (list) list.push(i);
        else this.postings.set(token, [i]);
      }
      return tf;
    });
    this.avgLength = this.lengths.reduce((sum, n) => sum + n, 0) / Math.max(1, docs.length);
    this.norms = this.lengths.map((length) => K1 * (1 - B + (B * length) / this.avgLength));
  }

  /** BM25's inverse document frequency: rare tokens say more than common ones. */
  idf(df: number): number {
    return Math.log(1 + (this.size - df + 0.5) / (df + 0.5));
  }

  /** Documents containing `token`. */
  documentFrequency(token: string): number {
    return this.df.get(token) ?? 0;
  }

  /** The field-weighted frequency of a token or phrase in document `i`. */
  frequency(term: readonly string[], i: number): number {
    if (term.length === 1) return this.tf[i]?.get(term[0] ?? '') ?? 0;
    const { docs, tf } = this.phrase(term);
    const at = positionOf(docs, i);
    return at < 0 ? 0 : (tf[at] as number);
  }

  /** The field-weighted term frequencies of document `i` (for feedback and similarity). */
  termsOf(i: number): ReadonlyMap<string, number> {
    return this.tf[i] ?? new Map();
  }

  /** The documents that contain every token of `tokens` (a superset of those with the phrase). */
  private candidates(tokens: readonly string[]): number[] {
    let rarest = tokens[0] ?? '';
    for (const token of tokens) if ((this.df.get(token) ?? 0) < (this.df.get(rarest) ?? 0)) rarest = token;
    return (this.postings.get(rarest) ?? []).filter((i) => tokens.every((token) => this.tf[i]?.has(token)));
  }

  private phrase(tokens: readonly string[]): PhraseStats {
    const key = tokens.join(' ');
    let stats = this.phraseCache.get(key);
    if (!stats) {
      const docs: number[] = [];
      const tf: number[] = [];
      for (const i of this.candidates(tokens)) {
        const doc = this.docs[i];
        if (!doc) continue;
        const count =
          FIELD_WEIGHTS.title * countPhrase(doc.title, tokens) +
          FIELD_WEIGHTS.keywords * countPhrase(doc.keywords, tokens) +
          FIELD_WEIGHTS.abstract * countPhrase(doc.abstract, tokens);
        if (count === 0) continue;
        docs.push(i);
        tf.push(count);
      }
      const buffer = new ArrayBuffer(docs.length * 12);
      stats = {
        tf: new Float64Array(buffer, 0, docs.length),
        docs: new Int32Array(buffer, docs.length * 8, docs.length),
        df: docs.length,
      };
      stats.tf.set(tf);
      stats.docs.set(docs);
      this.phraseCache.set(key, stats);
    }
    return stats;
  }

  /** The documents in which `term` occurs, in order. */
  matching(term: readonly string[]): ArrayLike<number> & Iterable<number> {
    return term.length === 1 ? (this.postings.get(term[0] ?? '') ?? []) : this.phrase(term).docs;
  }

  /** The BM25 contribution of one term to document `i`. */
  termScore(term: QueryTerm, i: number): number {
    const f = this.frequency(term.tokens, i);
    if (f === 0) return 0;
    const df =
      term.tokens.length === 1 ? this.documentFrequency(term.tokens[0] ?? '') : this.phrase(term.tokens).df;
    const norm = K1 * (1 - B + (B * (this.lengths[i] ?? 0)) / this.avgLength);
    return term.weight * this.idf(df) * ((f * (K1 + 1)) / (f + norm));
  }

  /** Where a token or phrase occurs, with its per-document BM25 factors; built once per term. */
  termPostings(term: readonly string[]): TermPostings {
    const key = term.join(' ');
    let found = this.postingsCache.get(key);
    if (!found) {
      const single = term.length === 1;
      const phrase = single ? undefined : this.phrase(term);
      const matching = this.matching(term);
      // One buffer for the three arrays: a term's postings are small, an array of their own each costs more.
      const count = matching.length;
      const buffer = new ArrayBuffer(count * 13);
      const saturation = new Float64Array(buffer, 0, count);
      const docs = new Int32Array(buffer, count * 8, count);
      const inTitle = new Uint8Array(buffer, count * 12, count);
      docs.set(matching);
      docs.forEach((i, at) => {
        const f = single ? (this.tf[i]?.get(term[0] ?? '') ?? 0) : ((phrase as PhraseStats).tf[at] as number);
        saturation[at] = (f * (K1 + 1)) / (f + (this.norms[i] ?? 0));
        inTitle[at] = countPhrase(this.docs[i]?.title ?? [], term) > 0 ? 1 : 0;
      });
      const df = single ? this.documentFrequency(term[0] ?? '') : (phrase?.df ?? 0);
      found = { docs, saturation, inTitle, idf: this.idf(df) };
      this.postingsCache.set(key, found);
    }
    return found;
  }

  /**
   * The BM25 score of every document for `query`; the same sums, in the same order, as adding up
   * `termScore` term by term.
   */
  score(query: readonly QueryTerm[]): Float64Array {
    const scores = new Float64Array(this.size);
    for (const term of query) {
      const { docs, saturation, idf } = this.termPostings(term.tokens);
      const weight = term.weight * idf;
      for (let at = 0; at < docs.length; at++) {
        const i = docs[at] as number;
        scores[i] = (scores[i] as number) + weight * (saturation[at] as number);
      }
    }
    return scores;
  }
}
