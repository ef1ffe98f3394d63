/**
 * Cross-validation of the score regularisation's two numbers (src/ranking/neighbours.ts) on the
 * judged sample, so the quality they buy is measured on interests they were not chosen on.
 * For every setting of a grid (neighbour share 0, i.e. none, to 0.7; 5 to 80 neighbours) it ranks
 * every interest; then, for leave-one-out and for two-fold splits (fixed halves both ways, and 200
 * random halves stratified by kind), it picks the setting with the best mean nDCG@10 on the
 * training interests (ties go to the earlier setting: no regularisation first) and reports the
 * held-out mean (all interests, and the paraphrased ones), beside no regularisation's on the same
 * interests. Prints one JSON line per setting, one per validation, and the default's wins and
 * losses per interest against no regularisation. Run: node --import tsx bench/ranking-cv.ts
 */
import { NEIGHBOUR_WEIGHT, NEIGHBOURS } from '../src/ranking/neighbours.ts';
import { indexPapers } from '../src/ranking/rank.ts';
import { interests, mean, ndcg, now, papers, ranker } from './ranking/evaluate.ts';

interface Setting {
  neighbourWeight: number;
  neighbours: number;
  ndcg: number[];
}

const grid: Setting[] = [];
for (const neighbourWeight of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
  for (const neighbours of neighbourWeight === 0 ? [NEIGHBOURS] : [5, 10, 20, 40, 80]) {
    const index = indexPapers(papers, { now, neighbourWeight, neighbours });
    const ndcgs = interests.map((interest) => ndcg(ranker(index, interest), interest.judgments));
    grid.push({ neighbourWeight, neighbours, ndcg: ndcgs });
    console.log(JSON.stringify({ neighbourWeight, neighbours, meanNdcg10: mean(ndcgs) }));
  }
const none = grid[0] as Setting;
const chosen = grid.find((s) => s.neighbourWeight === NEIGHBOUR_WEIGHT && s.neighbours === NEIGHBOURS);
if (!chosen) throw new Error('the default setting is not in the grid');

const meanOn = (setting: Setting, on: readonly number[]) =>
  on.reduce((sum, i) => sum + (setting.ndcg[i] as number), 0) / on.length;
/** The setting with the best mean on `training`; the earlier one on a tie. */
function pick(training: readonly number[]): Setting {
  let best = none;
  for (const setting of grid) if (meanOn(setting, training) > meanOn(best, training) + 1e-12) best = setting;
  return best;
}
const all = interests.map((_interest, i) => i);
const without = (held: readonly number[]) => all.filter((i) => !held.includes(i));

/** Held-out means over folds, each fold's held-out interests weighted by their number. */
function validate(name: string, folds: number[][]): void {
  const picked: number[] = [];
  const plain: number[] = [];
  const pickedParaphrased: number[] = [];
  const plainParaphrased: number[] = [];
  let better = 0;
  let worse = 0;
  const settings = new Set<string>();
  for (const held of folds) {
    const setting = pick(without(held));
    settings.add(`${setting.neighbourWeight}/${setting.neighbours}`);
    for (const i of held) {
      picked.push(setting.ndcg[i] as number);
      plain.push(none.ndcg[i] as number);
      if (!interests[i]?.paraphrase) continue;
      pickedParaphrased.push(setting.ndcg[i] as number);
      plainParaphrased.push(none.ndcg[i] as number);
    }
    const score = meanOn(setting, held);
    const before = meanOn(none, held);
    if (score > before + 1e-12) better++;
    if (score < before - 1e-12) worse++;
  }
  console.log(
    JSON.stringify({
      validation: name,
      folds: folds.length,
      heldOutNdcg10: { picked: mean(picked), noRegularisation: mean(plain) },
      heldOutParaphrasedNdcg10: { picked: mean(pickedParaphrased), noRegularisation: mean(plainParaphrased) },
      foldsBetter: better,
      foldsWorse: worse,
      picked: [...settings],
    }),
  );
}

validate(
  'leave-one-out',
  all.map((i) => [i]),
);
const even = all.filter((i) => i % 2 === 0);
const firstHalf = all.slice(0, all.length / 2);
validate('two-fold: even/odd, both ways', [even, without(even)]);
validate('two-fold: first/second half, both ways', [firstHalf, without(firstHalf)]);

/** A deterministic pseudo-random sequence, so the random splits are the same every run. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}
const rand = random(7);
const shuffled = (list: number[]) => {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as number, out[i] as number];
  }
  return out;
};
const byKind = ['topic', 'text'].map((kind) => all.filter((i) => interests[i]?.kind === kind));
const randomFolds: number[][] = [];
for (let split = 0; split < 200; split++) {
  const half = byKind.flatMap((group) => shuffled(group).slice(0, Math.floor(group.length / 2)));
  randomFolds.push(half, without(half));
}
validate('two-fold: 200 random halves stratified by kind, both ways', randomFolds);

const change = (i: number) => (chosen.ndcg[i] as number) - (none.ndcg[i] as number);
console.log(
  JSON.stringify({
    defaultVsNone: {
      neighbourWeight: NEIGHBOUR_WEIGHT,
      neighbours: NEIGHBOURS,
      meanNdcg10: { none: mean(none.ndcg), default: mean(chosen.ndcg) },
      wins: all
        .filter((i) => change(i) > 1e-9)
        .map((i) => [interests[i]?.name, Number(change(i).toFixed(3))]),
      losses: all
        .filter((i) => change(i) < -1e-9)
        .map((i) => [interests[i]?.name, Number(change(i).toFixed(3))]),
    },
  }),
);
