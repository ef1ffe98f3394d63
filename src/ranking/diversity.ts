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
  private readonly cache: Float32Array;

  constructor(
    bm25: Bm25Index,
    private readonly size: number,
  ) {
    const termIds = new Map<string, number>();
    this.vectors = Array.from({ length: size }, (_, i) => unitVector(bm25, i, termIds));
    this.cache = new Float32Array(size * size).fill(Number.NaN);
  }

  between(a: number, b: number): number {
    const at = a * this.size + b;
    const cached = this.cache[at] ?? Number.NaN;
    if (!Number.isNaN(cached)) return cached;
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
    this.cache[at] = dot;
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

/**
 * Maximal marginal relevance: each slot goes to the candidate with the best λ·score −
 * (1 − λ)·(greatest similarity to a paper already chosen). `pool` is sorted by score.
 */
export function selectDiverse<T extends { i: number; score: number }>(
  similarity: Similarity,
  pool: readonly T[],
  limit: number,
  λ: number,
): T[] {
  const chosen: T[] = [];
  const left = pool.slice();
  // Each candidate's greatest similarity to the chosen papers it has been compared with so far:
  // a candidate is compared with each chosen paper once, however many slots it waits.
  const redundancy: number[] = left.map(() => 0);
  const compared: number[] = left.map(() => 0);
  while (chosen.length < limit && left.length > 0) {
    const window = Math.min(left.length, MMR_WINDOW + chosen.length);
    let bestAt = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < window; k++) {
      const c = left[k];
      if (!c) continue;
      for (let j = compared[k] ?? 0; j < chosen.length; j++) {
        const other = chosen[j];
        if (other) redundancy[k] = Math.max(redundancy[k] ?? 0, similarity.between(c.i, other.i));
      }
      compared[k] = chosen.length;
      const value = λ * c.score - (1 - λ) * (redundancy[k] ?? 0);
      if (value > bestValue) {
        bestValue = value;
        bestAt = k;
      }
    }
    chosen.push(...left.splice(bestAt, 1));
    redundancy.splice(bestAt, 1);
    compared.splice(bestAt, 1);
  }
  return chosen;
}

/** How many sorted candidates MMR can reach when filling `limit` slots. */
export const reachable = (limit: number) => 2 * limit + MMR_WINDOW;
