import type { Bm25Index } from './bm25.ts';

/** Terms kept per paper for similarity: enough to tell near-duplicates apart, cheap to compare. */
const VECTOR_TERMS = 40;

interface SparseVector {
  ids: Int32Array;
  weights: Float64Array;
}

/**
 * Cosine similarity between the day's papers, on their strongest tf-idf terms; computed a paper's
 * row at a time, on demand, and kept as exact 64-bit values (so a value never depends on what was
 * asked before).
 */
export class Similarity {
  private readonly vectors: SparseVector[];
  private readonly cache: Float64Array;
  /** One paper's vector spread over all term ids (zero elsewhere), while its row is computed. */
  private readonly dense: Float64Array;
  /** 1 for each paper whose row has been computed. */
  private readonly computed: Uint8Array;

  constructor(
    bm25: Bm25Index,
    private readonly size: number,
  ) {
    const termIds = new Map<string, number>();
    this.vectors = Array.from({ length: size }, (_, i) => unitVector(bm25, i, termIds));
    this.cache = new Float64Array(size * size).fill(Number.NaN);
    this.dense = new Float64Array(termIds.size);
    this.computed = new Uint8Array(size);
  }

  between(a: number, b: number): number {
    const cached = this.cache[a * this.size + b] as number;
    if (!Number.isNaN(cached)) return cached;
    this.computeRow(a);
    return this.cache[a * this.size + b] as number;
  }

  /** Paper a's similarity to every paper (the same numbers as `between`), as a view: read only. */
  row(a: number): Float64Array {
    if (!this.computed[a]) this.computeRow(a);
    return this.cache.subarray(a * this.size, (a + 1) * this.size);
  }

  /**
   * Paper a's similarity to every paper: its vector spread out, then each other vector's terms
   * looked up in it, in id order. The sum adds the same products in the same order as a merge of
   * the two sorted term lists (plus zeros), so (a, b) and (b, a) are the same number.
   */
  private computeRow(a: number): void {
    const { dense, size, cache } = this;
    const x = this.vectors[a] as SparseVector;
    for (let k = 0; k < x.ids.length; k++) dense[x.ids[k] as number] = x.weights[k] as number;
    for (let b = 0; b < size; b++) {
      const y = this.vectors[b] as SparseVector;
      let dot = 0;
      for (let j = 0; j < y.ids.length; j++)
        dot += (dense[y.ids[j] as number] as number) * (y.weights[j] as number);
      cache[a * size + b] = dot;
      cache[b * size + a] = dot;
    }
    for (let k = 0; k < x.ids.length; k++) dense[x.ids[k] as number] = 0;
    this.computed[a] = 1;
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
 * Maximal marginal relevance over candidates sorted by score (candidate k is paper `papers[k]`
 * with `scores[k]`): each slot goes to the candidate with the best λ·score − (1 − λ)·(greatest
 * similarity to a paper already chosen), among the best 5 + (slots filled) remaining ones; the
 * first of equally good candidates wins.
 *
 * Made slot by slot and resumable: greedy MMR picks the same first slots whatever the limit, so
 * readers who share candidates share one selection, filled as far as the largest limit asked for.
 */
export class DiverseSelection {
  /** The chosen candidates (k), best first; `filled` of them. */
  chosen = new Int32Array(MMR_WINDOW);
  filled = 0;
  /** The papers of the chosen candidates. */
  private chosenPapers = new Int32Array(MMR_WINDOW);
  private papers: ArrayLike<number> = [];
  private scores: ArrayLike<number> = [];
  private count = 0;
  /** Candidates that joined so far: left[0, remaining) are those not chosen, in order, each with its greatest similarity to the chosen papers it was compared with (compared[at] of them). */
  private joined = 0;
  private remaining = 0;
  private left = new Int32Array(MMR_WINDOW);
  private redundancy = new Float64Array(MMR_WINDOW);
  private compared = new Int32Array(MMR_WINDOW);

  constructor(
    private readonly similarity: Similarity,
    private readonly λ: number,
  ) {}

  /** Starts a selection over the first `count` candidates (reusing the working space). */
  reset(papers: ArrayLike<number>, scores: ArrayLike<number>, count: number): this {
    this.papers = papers;
    this.scores = scores;
    this.count = count;
    this.filled = 0;
    this.joined = 0;
    this.remaining = 0;
    this.sorted = true;
    for (let k = 1; k < count && this.sorted; k++)
      this.sorted = (scores[k] as number) <= (scores[k - 1] as number);
    return this;
  }

  /** Whether the candidates' scores never rise (they should; checked, as `fill` relies on it to stop early). */
  private sorted = true;

  /** Fills the selection up to `limit` slots (fewer when candidates run out). */
  fill(limit: number): void {
    const slots = Math.min(limit, this.count);
    if (this.filled >= slots) return;
    // No window of the first `slots` picks reaches past candidate reachable(slots), so only those
    // need to have joined; later ones rank below all of them and join at the end of `left`.
    const reach = Math.min(this.count, reachable(slots));
    if (reach > this.left.length) this.grow(Math.max(reach, 2 * this.left.length));
    const { left, redundancy, compared, chosen, chosenPapers, papers, scores, similarity, λ } = this;
    // With 0 ≤ λ ≤ 1 a value only falls as redundancy grows, which the shortcuts below rely on.
    const bounded = λ >= 0 && λ <= 1;
    const stopEarly = bounded && this.sorted;
    for (let k = this.joined; k < reach; k++) {
      left[this.remaining] = k;
      redundancy[this.remaining] = 0;
      compared[this.remaining++] = 0;
    }
    this.joined = Math.max(this.joined, reach);
    let { filled, remaining } = this;
    while (filled < slots) {
      const window = Math.min(remaining, MMR_WINDOW + filled);
      let bestAt = 0;
      let bestValue = Number.NEGATIVE_INFINITY;
      for (let at = 0; at < window; at++) {
        const k = left[at] as number;
        const score = scores[k] as number;
        // Redundancy only grows as it is compared with more chosen papers, so a value from a stale
        // redundancy is an upper bound: a candidate whose bound cannot beat the best so far is
        // left uncompared for now (the choice is the same; the comparisons are not wasted). And
        // once even no redundancy cannot beat it, no later (lower-scored) candidate can.
        if (bounded && !(λ * score - (1 - λ) * (redundancy[at] as number) > bestValue)) {
          if (stopEarly && !(λ * score > bestValue)) break;
          continue;
        }
        const paper = papers[k] as number;
        let r = redundancy[at] as number;
        for (let j = compared[at] as number; j < filled; j++) {
          const s = similarity.between(chosenPapers[j] as number, paper);
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
      chosen[filled] = left[bestAt] as number;
      chosenPapers[filled++] = papers[left[bestAt] as number] as number;
      left.copyWithin(bestAt, bestAt + 1, remaining);
      redundancy.copyWithin(bestAt, bestAt + 1, remaining);
      compared.copyWithin(bestAt, bestAt + 1, remaining);
      remaining--;
    }
    this.filled = filled;
    this.remaining = remaining;
  }

  /**
   * All five arrays keep one length, at least `reach` (and so at least `slots`), in one buffer:
   * a selection is kept per preference set, and an array of its own each costs more than its numbers.
   */
  private grow(size: number): void {
    const buffer = new ArrayBuffer(size * 24);
    const redundancy = new Float64Array(buffer, 0, size);
    redundancy.set(this.redundancy);
    this.redundancy = redundancy;
    const grown = (old: Int32Array, slot: number) => {
      const array = new Int32Array(buffer, size * (8 + 4 * slot), size);
      array.set(old);
      return array;
    };
    this.left = grown(this.left, 0);
    this.compared = grown(this.compared, 1);
    this.chosen = grown(this.chosen, 2);
    this.chosenPapers = grown(this.chosenPapers, 3);
  }
}

/** How many sorted candidates MMR can reach when filling `limit` slots. */
export const reachable = (limit: number) => 2 * limit + MMR_WINDOW;
