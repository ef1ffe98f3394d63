import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { bestDocuments } from '../../../src/ranking/query.ts';
import { indexPapers, type Preferences, type RankedPaper, rankPapers } from '../../../src/ranking/rank.ts';
import { rankPapersReference, sharedPreferences } from '../../../src/ranking/reference.ts';
import { TOPICS } from '../../../src/topics/taxonomy.ts';
import { paper } from '../../helpers/factories.ts';

const NOW = new Date('2026-11-28T08:00:00Z');
const topics = TOPICS.slice(0, 6);
// Words the chosen topics look for, and words no topic does, so papers match some topics, several or none.
const word = fc.constantFrom(
  ...new Set(topics.flatMap((topic) => topic.queryTerms.flatMap((term) => term.split(/\s+/)))),
  'model',
  'data',
  'results',
  'benchmark',
  'protein',
  'Learning',
  'learned',
);
const words = (min: number, max: number) =>
  fc.array(word, { minLength: min, maxLength: max }).map((list) => list.join(' '));
const names = ['Ada Lovelace', 'Bo Peng', 'Cy Young', 'Di Wu'];

const arbPapers = fc
  .array(
    fc.record({
      title: words(1, 6),
      abstract: words(3, 30),
      keywords: fc.array(words(1, 2), { maxLength: 2 }),
      upvotes: fc.nat(200),
      authors: fc.subarray(names),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((list) => list.map((p, i) => paper({ id: `p${i}`, ...p, firstSeenAt: NOW })));

const arbReader = fc.record({
  // Shuffled, so readers with the same topics in another order share a ranking.
  topics: fc.shuffledSubarray(topics as (typeof topics)[number][], { maxLength: 3 }),
  interests: fc.array(words(1, 4), { maxLength: 2 }),
  authors: fc.subarray([...names, 'bo peng ', 'Nobody']),
  excludes: fc.array(word, { maxLength: 2 }),
  limit: fc.integer({ min: 1, max: 25 }),
  sent: fc.array(fc.nat(39), { maxLength: 4 }),
});

function same(actual: RankedPaper[], expected: RankedPaper[]): void {
  expect(actual.map((r) => [r.paper.id, r.why])).toEqual(expected.map((r) => [r.paper.id, r.why]));
  for (const [j, r] of actual.entries()) {
    expect(r.score).toBeCloseTo(expected[j]?.score ?? Number.NaN, 9);
    expect(r.relevance).toBeCloseTo(expected[j]?.relevance ?? Number.NaN, 9);
    expect(r.trending).toBeCloseTo(expected[j]?.trending ?? Number.NaN, 9);
  }
}

describe('the shared fast path', () => {
  test('ranks every reader of a run as the plain reference ranker does', () => {
    fc.assert(
      fc.property(
        arbPapers,
        fc.array(arbReader, { minLength: 1, maxLength: 12 }),
        // Settings are 0 to 1 in config; the ranker must stay exact outside that range too.
        fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -2, max: 12, noNaN: true })),
        fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: -1, max: 2, noNaN: true })),
        // Score regularisation: the default, or any neighbourhood (0 to more than the papers) and share.
        fc.oneof(
          fc.constant({}),
          fc.record({
            neighbours: fc.nat(45),
            neighbourWeight: fc.oneof(
              fc.constant(0),
              fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
              fc.constant(1 - Number.EPSILON),
            ),
          }),
        ),
        (papers, readers, trendingWeight, diversity, regularisation) => {
          const index = indexPapers(papers, { now: NOW, trendingWeight, diversity, ...regularisation });
          const asShared = sharedPreferences();
          for (const reader of readers) {
            const prefs: Preferences = {
              ...reader,
              alreadySent: new Set(reader.sent.map((i) => `p${i}`)),
            };
            same(rankPapers(index, prefs), rankPapersReference(index, asShared(prefs)));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('with caches too small for the run (sets and interests dropped and made again), every reader still gets the reference ranking', () => {
    fc.assert(
      fc.property(
        arbPapers,
        fc.array(
          fc.record({
            reader: arbReader,
            // Few interests, written in different ways (the first writing names a part's terms).
            interests: fc.array(
              fc
                .tuple(fc.constantFrom('Learning', 'learned', 'model', 'protein data', 'data'), fc.boolean())
                .map(([text, loud]) => (loud ? text.toUpperCase() : text)),
              { maxLength: 2 },
            ),
          }),
          { minLength: 1, maxLength: 16 },
        ),
        fc.record({ sets: fc.integer({ min: 1, max: 3 }), interests: fc.integer({ min: 1, max: 2 }) }),
        (papers, readers, limits) => {
          const index = indexPapers(papers, { now: NOW }, limits);
          const asShared = sharedPreferences(limits);
          for (const { reader, interests } of readers) {
            const prefs: Preferences = {
              ...reader,
              interests,
              alreadySent: new Set(reader.sent.map((i) => `p${i}`)),
            };
            same(rankPapers(index, prefs), rankPapersReference(index, asShared(prefs)));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  test('a set made again after it was dropped takes the order of the reader who brings it back', () => {
    const [a, b, c] = topics as [(typeof topics)[number], (typeof topics)[number], (typeof topics)[number]];
    const about = (...chosen: (typeof topics)[number][]) => chosen.flatMap((t) => t.queryTerms).join(' ');
    const papers = [about(a, b), about(a), about(b), about(c)].map((text, i) =>
      paper({ id: `p${i}`, title: text, abstract: text, firstSeenAt: NOW }),
    );
    const reader = (...chosen: (typeof topics)[number][]): Preferences => ({
      topics: chosen,
      interests: [],
      authors: [],
      excludes: [],
      limit: 10,
    });
    // Readers [a, b], then [c], then [b, a]: the topics of the paper about both, as the last reader sees them.
    const lastReaderSees = (limits?: { sets: number; interests: number }) => {
      const index = indexPapers(papers, { now: NOW }, limits);
      rankPapers(index, reader(a, b));
      rankPapers(index, reader(c));
      return rankPapers(index, reader(b, a)).find((entry) => entry.paper.id === 'p0')?.why.topics;
    };
    expect(lastReaderSees()).toEqual([a.name, b.name]);
    expect(lastReaderSees({ sets: 1, interests: 1 })).toEqual([b.name, a.name]);
  });

  test('papers with equal scores rank by id, as in the reference', () => {
    // Identical papers score the same; ids out of order so the tie-break is visible.
    const papers = ['p7', 'p2', 'p9', 'p1', 'p5', 'p3'].map((id, n) =>
      paper({
        id,
        title: 'Graph neural networks for message passing',
        abstract: 'A GNN with message passing on graphs.',
        upvotes: n % 2 === 0 ? 10 : 0,
        firstSeenAt: NOW,
      }),
    );
    const prefs: Preferences = {
      topics: TOPICS.filter((t) => t.slug === 'graph-neural-networks'),
      interests: [],
      authors: [],
      excludes: [],
      limit: 6,
    };
    for (const trendingWeight of [0, 0.3]) {
      const index = indexPapers(papers, { now: NOW, trendingWeight, diversity: 1 });
      same(rankPapers(index, prefs), rankPapersReference(index, prefs));
    }
    const flat = indexPapers(papers, { now: NOW, trendingWeight: 0, diversity: 1 });
    expect(rankPapers(flat, prefs).map((r) => r.paper.id)).toEqual(['p1', 'p2', 'p3', 'p5', 'p7', 'p9']);
  });

  test('readers who look far down a long candidate list (many filtered, large limits) get the reference ranking', () => {
    // 150 papers about graph neural networks, on assorted graphs, so one topic has far more
    // candidates than a digest needs, with scores and similarities spread out.
    const graphs = ['molecule', 'protein', 'citation', 'traffic', 'social', 'knowledge', 'physics', 'mesh'];
    const papers = Array.from({ length: 150 }, (_, i) =>
      paper({
        id: `g${String(i).padStart(3, '0')}`,
        title: `Graph neural networks with message passing, variant ${i}`,
        abstract: `A GNN on ${graphs[i % 8]} graphs ${'and nodes '.repeat(i % 3)}for ${graphs[(i * 3) % 7]} data.`,
        upvotes: (i * 53) % 97,
        authors: [names[i % 4] as string],
        firstSeenAt: NOW,
      }),
    );
    const index = indexPapers(papers, { now: NOW });
    const asShared = sharedPreferences();
    const base = {
      topics: TOPICS.filter((t) => t.slug === 'graph-neural-networks'),
      interests: [],
      authors: [],
      excludes: [],
    };
    // The best 60 already sent: a reader's candidates then come from far down the list.
    const best = new Set(
      rankPapersReference(index, { ...base, limit: 60, excludes: [] }).map((r) => r.paper.id),
    );
    for (const prefs of [
      { ...base, limit: 10, alreadySent: best },
      { ...base, limit: 60 },
      { ...base, limit: 25, excludes: ['molecule'] },
      { ...base, limit: 40, authors: ['Bo Peng'], alreadySent: best },
      { ...base, limit: 100 },
    ] satisfies Preferences[])
      same(rankPapers(index, prefs), rankPapersReference(index, asShared(prefs)));
  });

  test('a ranking asked for again, with a larger limit or a filter, is the reference ranking', () => {
    const papers = Array.from({ length: 60 }, (_, i) =>
      paper({
        id: `p${String(i).padStart(2, '0')}`,
        title: `${topics[i % 6]?.queryTerms[i % 5]} for graphs ${i % 7 === 0 ? 'protein' : ''}`,
        abstract: `${topics[(i + 1) % 6]?.queryTerms.join(' ')} model ${i}`,
        upvotes: (i * 37) % 101,
        authors: [names[i % 4] as string],
        firstSeenAt: NOW,
      }),
    );
    const index = indexPapers(papers, { now: NOW });
    const asShared = sharedPreferences();
    const base = { topics: topics.slice(0, 2), interests: [], authors: [], excludes: [] };
    for (const prefs of [
      { ...base, limit: 3 },
      { ...base, limit: 25 },
      { ...base, limit: 10, excludes: ['protein'] },
      { ...base, limit: 10, authors: ['Cy Young'] },
      { ...base, limit: 10, alreadySent: new Set(['p01', 'p02', 'p03']) },
      { ...base, topics: [...base.topics].reverse(), limit: 12 },
    ] satisfies Preferences[])
      same(rankPapers(index, prefs), rankPapersReference(index, asShared(prefs)));
  });
});

describe('bestDocuments', () => {
  test('is the first n of the positive scores sorted best first, ties by rank', () => {
    const scoresAndRanks = fc
      .array(fc.constantFrom(0, 0.5, 1, 1.5, 2, 3, -1), { maxLength: 40 })
      .chain((values) =>
        fc.tuple(fc.constant(values), fc.shuffledSubarray([...values.keys()], { minLength: values.length })),
      );
    fc.assert(
      fc.property(scoresAndRanks, fc.integer({ min: 0, max: 8 }), ([values, ranks], n) => {
        const scores = Float64Array.from(values);
        const rank = Int32Array.from(ranks);
        const sorted = [...scores.keys()]
          .filter((i) => (scores[i] ?? 0) > 0)
          .sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || (rank[a] ?? 0) - (rank[b] ?? 0));
        expect(bestDocuments(scores, n, rank)).toEqual(sorted.slice(0, n));
      }),
    );
  });
});
