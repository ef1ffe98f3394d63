/**
 * Ranking speed: N readers with distinct preferences against M papers, as the daily plan does it
 * (one index per run, shared work between readers with the same preferences). The baseline in the
 * same run is the same ranker with nothing shared between readers, so the ratio holds on a
 * noisy machine.
 * Prints one JSON line. Run: npm run bench:ranking-speed -- --readers 100000 --papers 500
 * With `--verify N` it also ranks the first N readers with the plain reference ranker and exits
 * non-zero unless every list (ids, order, explanations; scores within 1e-9) is the same.
 */
import { isDeepStrictEqual } from 'node:util';
import { loadSamplePapers } from '../src/papers/sample.ts';
import { indexPapers, type Preferences, type RankedPaper, rankPapers } from '../src/ranking/rank.ts';
import { rankPapersReference, sharedPreferences } from '../src/ranking/reference.ts';
import { TOPICS } from '../src/topics/taxonomy.ts';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} must be a whole number`);
  return value;
}

/** A deterministic pseudo-random sequence, so every run ranks the same synthetic day. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const readers = flag('readers', 100_000);
const paperCount = flag('papers', 500);
const verify = Math.min(readers, flag('verify', 0));
const rand = random(42);
const now = new Date('2026-11-28T08:00:00Z');
const sample = loadSamplePapers(now);
const sentences = sample.flatMap((p) => p.abstract.split(/(?<=\.)\s+/));
// A synthetic day: real titles re-used with a suffix, abstracts recombined from real sentences.
const papers = Array.from({ length: paperCount }, (_, i) => {
  const base = sample[i % sample.length];
  const abstract = Array.from({ length: 6 }, () => sentences[Math.floor(rand() * sentences.length)]).join(
    ' ',
  );
  return {
    ...base,
    id: `syn-${i}`,
    title: `${base?.title} (${Math.floor(i / sample.length)})`,
    abstract,
    upvotes: Math.floor(rand() * 200),
    authors: [`Author ${i % 300}`],
  } as (typeof sample)[number];
});
const words = sentences.flatMap((s) => s.toLowerCase().split(/\W+/)).filter((w) => w.length > 5);
const interestPool = Array.from({ length: 2_000 }, () =>
  Array.from({ length: 3 }, () => words[Math.floor(rand() * words.length)]).join(' '),
);

/** Reader k's preferences: 1–3 topics, some with an interest, an author or an excluded word; all distinct. */
function preferences(k: number): Preferences {
  const topics = Array.from({ length: 1 + (k % 3) }, () => TOPICS[Math.floor(rand() * TOPICS.length)]).filter(
    (t): t is (typeof TOPICS)[number] => t !== undefined,
  );
  return {
    topics: [...new Map(topics.map((t) => [t.slug, t])).values()],
    interests: k % 5 === 0 ? [interestPool[k % interestPool.length] ?? ''] : [],
    authors: [`Author ${k % 997}`, `Reader ${k}`],
    excludes: k % 7 === 0 ? [words[k % words.length] ?? 'x'] : [],
    limit: 5 + (k % 21),
  };
}

const memoryBefore = process.memoryUsage().rss;
let started = performance.now();
const index = indexPapers(papers, { now });
const indexMs = performance.now() - started;
started = performance.now();
const cpuBefore = process.cpuUsage();
let selected = 0;
const checked: [Preferences, RankedPaper[]][] = [];
for (let k = 0; k < readers; k++) {
  const prefs = preferences(k);
  const ranked = rankPapers(index, prefs);
  selected += ranked.length;
  if (k < verify) checked.push([prefs, ranked]);
}
const rankMs = performance.now() - started;
const rankCpu = process.cpuUsage(cpuBefore);

/** Readers (of the first `verify`) whose list differs from the reference ranker's. */
function mismatches(): number {
  const asShared = sharedPreferences();
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9;
  let differing = 0;
  for (const [k, [prefs, ranked]] of checked.entries()) {
    const expected = rankPapersReference(index, asShared(prefs));
    const same =
      expected.length === ranked.length &&
      expected.every(
        (e, j) =>
          e.paper.id === ranked[j]?.paper.id &&
          isDeepStrictEqual(e.why, ranked[j]?.why) &&
          close(e.score, ranked[j]?.score ?? Number.NaN) &&
          close(e.relevance, ranked[j]?.relevance ?? Number.NaN) &&
          close(e.trending, ranked[j]?.trending ?? Number.NaN),
      );
    if (!same && differing++ < 3)
      console.error(
        `reader ${k}: expected ${JSON.stringify(expected.map((e) => [e.paper.id, e.why]))}, got ${JSON.stringify(ranked.map((e) => [e.paper.id, e.why]))}`,
      );
  }
  return differing;
}

// Baseline in the same run: the same ranker with nothing shared between readers (every
// topic's and interest's scores recomputed for each reader), on the first few hundred readers.
const baselineReaders = Math.min(readers, 300);
const fresh = indexPapers(papers, { now });
started = performance.now();
for (let k = 0; k < baselineReaders; k++) {
  fresh.topicParts.clear();
  fresh.interestParts.clear();
  fresh.shared.clear();
  rankPapers(fresh, preferences(k));
}
const baselinePerReaderMs = (performance.now() - started) / baselineReaders;
const differing = verify > 0 ? mismatches() : 0;

console.log(
  JSON.stringify({
    readers,
    papers: paperCount,
    indexMs: Math.round(indexMs),
    rankMs: Math.round(rankMs),
    /** CPU time of the ranking (all threads, GC included): steadier than rankMs on a shared machine. */
    rankCpuMs: Math.round((rankCpu.user + rankCpu.system) / 1000),
    readersPerSec: Math.round(readers / (rankMs / 1000)),
    avgSelected: Number((selected / readers).toFixed(2)),
    distinctTopicInterestSets: index.shared.size,
    scoredParts: index.topicParts.size + index.interestParts.size,
    baselineNoSharingReadersPerSec: Math.round(1000 / baselinePerReaderMs),
    speedup: Number((baselinePerReaderMs / (rankMs / readers)).toFixed(1)),
    rssMb: Math.round((process.memoryUsage().rss - memoryBefore) / 1_048_576),
    ...(verify > 0 ? { verified: verify, mismatches: differing } : {}),
  }),
);
if (differing > 0) process.exitCode = 1;
