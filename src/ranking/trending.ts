import type { Paper } from '../papers/paper.ts';

/** What trending needs of a paper; `upvotesGained` is the rise since the previous day, when known. */
export type TrendingInput = Pick<Paper, 'upvotes' | 'comments' | 'stars' | 'firstSeenAt'> & {
  upvotesGained?: number;
};

/** Hours after which a paper's buzz counts half. */
export const TRENDING_HALF_LIFE_HOURS = 36;

/**
 * How much a paper is talked about now: log-damped upvotes, comments (worth two), GitHub stars
 * (worth a twentieth) and the day's rise in upvotes (worth two), halved every 36 hours since it
 * was first seen. 0 for a paper no source gives signals for.
 */
export function trendingSignal(paper: TrendingInput, now: Date): number {
  const buzz = paper.upvotes + 2 * paper.comments + paper.stars / 20 + 2 * (paper.upvotesGained ?? 0);
  if (buzz <= 0) return 0;
  const ageHours = Math.max(0, (now.getTime() - paper.firstSeenAt.getTime()) / 3_600_000);
  return Math.log1p(buzz) * 0.5 ** (ageHours / TRENDING_HALF_LIFE_HOURS);
}
