/**
 * Score regularisation (the cluster hypothesis: papers like each other are relevant to the same
 * things; Diaz, "Regularizing ad hoc retrieval scores", CIKM 2005): a matching paper's score is
 * mixed with the scores its most similar papers got for the same query, so a paper among many good
 * matches moves up and a lone word-match moves down. It only orders the papers a topic or interest
 * matches; which papers match is still decided by their own evidence (see parts.ts).
 *
 * The two numbers were chosen by cross-validation on the judged sample (bench/ranking): the middle
 * of the range that held up on held-out interests, not the best point of the whole set.
 */
import type { Similarity } from './diversity.ts';
import { bestDocuments } from './query.ts';

/** How many of a paper's most similar papers vouch for it (the default of `RankingOptions.neighbours`). */
export const NEIGHBOURS = 40;
/** The share of a paper's regularised score that comes from its neighbours (the default of `RankingOptions.neighbourWeight`). */
export const NEIGHBOUR_WEIGHT = 0.5;

/** A paper's neighbours, most similar first, and their similarities to it (all positive). */
export interface Neighbourhood {
  papers: Int32Array;
  similarities: Float64Array;
}

/**
 * Each paper's `count` most similar other papers (cosine > 0; ties by id, so the input order does
 * not matter), worked out on first use, once per paper and run, and the share `weight` of a
 * regularised score they make.
 */
export class Neighbours {
  private readonly found: (Neighbourhood | undefined)[];
  /** One paper's similarity to every other paper (0 to itself), while its neighbours are picked. */
  private readonly row: Float64Array;

  constructor(
    private readonly similarity: Similarity,
    /** Each paper's position in id order (the tie-break). */
    private readonly idRank: Int32Array,
    readonly count: number,
    readonly weight: number,
  ) {
    if (!Number.isInteger(count) || count < 0) throw new RangeError('neighbours must be a whole number');
    // Below 1, a matching paper's own score always counts, so its regularised score is positive.
    if (!(weight >= 0 && weight < 1)) throw new RangeError('neighbourWeight must be at least 0 and below 1');
    this.found = new Array(idRank.length);
    this.row = new Float64Array(idRank.length);
  }

  of(i: number): Neighbourhood {
    let hood = this.found[i];
    if (!hood) {
      const { row, similarity } = this;
      row.set(similarity.row(i));
      row[i] = 0;
      const nearest = bestDocuments(row, this.count, this.idRank);
      hood = {
        papers: Int32Array.from(nearest),
        similarities: Float64Array.from(nearest, (j) => row[j] as number),
      };
      this.found[i] = hood;
    }
    return hood;
  }
}

/**
 * Paper i's score regularised by its neighbours': (1 − w)·its own + w·the similarity-weighted
 * mean of theirs (its own alone when it has no neighbours).
 */
export function regularisedScore(scores: Float64Array, i: number, neighbours: Neighbours): number {
  const hood = neighbours.of(i);
  const own = scores[i] as number;
  let weighted = 0;
  let total = 0;
  for (let k = 0; k < hood.papers.length; k++) {
    const similarity = hood.similarities[k] as number;
    weighted += similarity * (scores[hood.papers[k] as number] as number);
    total += similarity;
  }
  if (total === 0) return own;
  return (1 - neighbours.weight) * own + (neighbours.weight * weighted) / total;
}
