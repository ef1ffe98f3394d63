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

const FIELD_WEIGHTS = { title: 3, keywords: 2, abstract: 1 } as const;
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
  private readonly phraseCache = new Map<string, { tf: Float64Array; df: number; docs: number[] }>();

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
    return this.phrase(term).tf[i] ?? 0;
  }

  /** The field-weighted term frequencies of document `i` (for feedback and similarity). */
  termsOf(i: number): ReadonlyMap<string, number> {
    return this.tf[i] ?? new Map();
  }

  /** The documents that contain every token of `tokens` (a superset of those with the phrase). */
  private candidates(tokens: readonly string[]): number[] {
    const lists = tokens.map((token) => this.postings.get(token) ?? []);
    lists.sort((a, b) => a.length - b.length);
    const [rarest = [], ...rest] = lists;
    const others = rest.map((list) => new Set(list));
    return rarest.filter((i) => others.every((set) => set.has(i)));
  }

  private phrase(tokens: readonly string[]): { tf: Float64Array; df: number; docs: number[] } {
    const key = tokens.join(' ');
    let stats = this.phraseCache.get(key);
    if (!stats) {
      const tf = new Float64Array(this.size);
      const docs: number[] = [];
      for (const i of this.candidates(tokens)) {
        const doc = this.docs[i];
        if (!doc) continue;
        const count =
          FIELD_WEIGHTS.title * countPhrase(doc.title, tokens) +
          FIELD_WEIGHTS.keywords * countPhrase(doc.keywords, tokens) +
          FIELD_WEIGHTS.abstract * countPhrase(doc.abstract, tokens);
        tf[i] = count;
        if (count > 0) docs.push(i);
      }
      stats = { tf, df: docs.length, docs };
      this.phraseCache.set(key, stats);
    }
    return stats;
  }

  /** The documents in which `term` occurs. */
  matching(term: readonly string[]): readonly number[] {
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

  /** The BM25 score of every document for `query`. */
  score(query: readonly QueryTerm[]): Float64Array {
    const scores = new Float64Array(this.size);
    for (const term of query) {
      for (const i of this.matching(term.tokens)) scores[i] = (scores[i] ?? 0) + this.termScore(term, i);
    }
    return scores;
  }
}
