import type { Bm25Index } from './bm25.ts';

/** Terms kept per paper for similarity: enough to tell near-duplicates apart, cheap to compare. */
const VECTOR_TERMS = 40;

interface SparseVector {
  ids: Int32Array;
  weights: Float64Array;
}

/** Cosine similarity between the day's papers, on their strongest tf-idf terms; computed on demand, kept. */
export class Similarity {
  private readonly vectors: SparseVector[];
  private readonly cache: Float64Array;

  constructor(
    bm25: Bm25Index,
    private readonly size: number,
  ) {
    const termIds = new Map<string, number>();
    this.vectors = Array.from({ length: size }, (_, i) => unitVector(bm25, i, termIds));
    this.cache = new Float64Array(size * size).fill(Number.NaN);
  }

  /** Cosine similarity of papers `a` and `b`; exact (kept as 64-bit floats), so it never depends on what was asked before. */
  between(a: number, b: number): number {
    const cached = this.cache[a * this.size + b] as number;
    return Number.isNaN(cached) ? this.compute(a, b) : cached;
  }

  private compute(a: number, b: number): number {
    const x = this.vectors[a];
    const y = this.vectors[b];
    let dot = 0;
    if (x && y) {
      // Both term lists are sorted by id: one merge pass.
      for (let i = 0, j = 0; i < x.ids.length && j < y.ids.length; ) {
        const d = (x.ids[i] ?? 0) - (y.ids[j] ?? 0);
        if (d === 0) dot += (x.weights[i++] ?? 0) * (y.weights[j++] ?? 0);
        else if (d < 0) i++;
        else j++;
      }
    }
    this.cache[a * this.size + b] = dot;
    this.cache[b * this.size + a] = dot;
    return dot;
  }
}

function unitVector(bm25: Bm25Index, i: number, termIds: Map<string, number>): SparseVector {
  const top = [...bm25.termsOf(i)]
    .map(([token, count]): [string, number] => [token, count * bm25.idf(bm25.documentFrequency(token))])
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, VECTOR_TERMS);
  const norm = Math.sqrt(top.reduce((sum, [, w]) => sum + w * w, 0)) || 1;
  const entries = top.map(([token, w]): [number, number] => {
    let id = termIds.get(token);
    if (id === undefined) {
      id = termIds.size;
      termIds.set(token, id);
    }
    return [id, w / norm];
  });
  entries.sort((a, b) => a[0] - b[0]);
  return { ids: Int32Array.from(entries, ([id]) => id), weights: Float64Array.from(entries, ([, w]) => w) };
}

/** How many of the best remaining candidates MMR weighs for each slot. */
const MMR_WINDOW = 5;

/** Working space for `selectDiverse`, grown as needed and reused by every call. */
let left = new Int32Array(64);
let redundancy = new Float64Array(64);
let compared = new Int32Array(64);

/**
 * Maximal marginal relevance: each slot goes to the candidate with the best λ·score −
 * (1 − λ)·(greatest similarity to a paper already chosen), among the best 5 + (slots filled)
 * remaining ones; the first of equally good candidates wins. Candidate k is paper `papers[k]`
 * with `scores[k]`, sorted by score. Writes the chosen candidates (k) in order to `chosen` and
 * returns how many there are (at most `limit`).
 */
export function selectDiverse(
  similarity: Similarity,
  papers: ArrayLike<number>,
  scores: ArrayLike<number>,
  count: number,
  limit: number,
  λ: number,
  chosen: Int32Array,
): number {
  if (left.length < count) {
    left = new Int32Array(count * 2);
    redundancy = new Float64Array(count * 2);
    compared = new Int32Array(count * 2);
  }
  // left[0, remaining) are the candidates not chosen yet, in order, each with its greatest
  // similarity to the chosen papers it has been compared with so far: a candidate is compared
  // with each chosen paper once, however many slots it waits.
  for (let k = 0; k < count; k++) {
    left[k] = k;
    redundancy[k] = 0;
    compared[k] = 0;
  }
  let remaining = count;
  let filled = 0;
  const slots = Math.min(limit, count, chosen.length);
  while (filled < slots) {
    const window = Math.min(remaining, MMR_WINDOW + filled);
    let bestAt = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let at = 0; at < window; at++) {
      const k = left[at] as number;
      const score = scores[k] as number;
      // Redundancy only grows as it is compared with more chosen papers, so a value from a stale
      // redundancy is an upper bound: a candidate whose bound cannot beat the best so far is
      // left uncompared for now (the choice is the same; the comparisons are not wasted).
      if (!(λ * score - (1 - λ) * (redundancy[at] as number) > bestValue)) continue;
      const paper = papers[k] as number;
      let r = redundancy[at] as number;
      for (let j = compared[at] as number; j < filled; j++) {
        const s = similarity.between(papers[chosen[j] as number] as number, paper);
        if (s > r) r = s;
      }
      redundancy[at] = r;
      compared[at] = filled;
      const value = λ * score - (1 - λ) * r;
      if (value > bestValue) {
        bestValue = value;
        bestAt = at;
      }
    }
    chosen[filled++] = left[bestAt] as number;
    left.copyWithin(bestAt, bestAt + 1, remaining);
    redundancy.copyWithin(bestAt, bestAt + 1, remaining);
    compared.copyWithin(bestAt, bestAt + 1, remaining);
    remaining--;
  }
  return filled;
}

/** How many sorted candidates MMR can reach when filling `limit` slots. */
export const reachable = (limit: number) => 2 * limit + MMR_WINDOW;
