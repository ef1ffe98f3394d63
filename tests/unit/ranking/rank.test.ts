import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Bm25Index } from '../../../src/ranking/bm25.ts';
import { NEIGHBOURS } from '../../../src/ranking/neighbours.ts';
import { textQuery, topicQuery, withFeedback } from '../../../src/ranking/query.ts';
import {
  explain,
  indexPapers,
  type Preferences,
  rankPapers,
  trendingFallback,
} from '../../../src/ranking/rank.ts';
import { contentTokens, countPhrase, tokenize } from '../../../src/ranking/text.ts';
import { TRENDING_HALF_LIFE_HOURS, trendingSignal } from '../../../src/ranking/trending.ts';
import { TOPICS } from '../../../src/topics/taxonomy.ts';
import { paper } from '../../helpers/factories.ts';

const NOW = new Date('2026-11-28T08:00:00Z');
const topic = (slug: string) => {
  const found = TOPICS.find((t) => t.slug === slug);
  if (!found) throw new Error(`no topic ${slug}`);
  return found;
};
const prefs = (overrides: Partial<Preferences>): Preferences => ({
  topics: [],
  interests: [],
  authors: [],
  excludes: [],
  limit: 10,
  ...overrides,
});
const seen = { firstSeenAt: NOW };

const papers = [
  paper({
    id: 'gnn',
    title: 'Message passing graph neural networks',
    abstract: 'We study GNN training with message passing on large graphs.',
    ...seen,
  }),
  paper({
    id: 'gnn-hot',
    title: 'Scalable graph neural networks',
    abstract: 'A GNN for node classification on graphs.',
    upvotes: 120,
    ...seen,
  }),
  paper({
    id: 'opt',
    title: 'Adam is a natural gradient optimizer',
    abstract: 'Convergence of stochastic gradient descent methods and the Adam optimizer.',
    ...seen,
  }),
  paper({
    id: 'quant',
    title: 'INT4 quantization for on-device training',
    abstract: 'Low-precision training on edge devices with quantized weights.',
    authors: ['Song Han'],
    ...seen,
  }),
  paper({
    id: 'bio',
    title: 'Protein structures in yeast',
    abstract: 'Wet-lab biology of folding proteins.',
    ...seen,
  }),
  paper({
    id: 'nerf',
    title: 'Neural radiance fields for scenes',
    abstract: 'Coordinate-based networks render novel views of a scene.',
    ...seen,
  }),
];
const index = indexPapers(papers, { now: NOW });
const ids = (p: Preferences) => rankPapers(index, p).map((r) => r.paper.id);

describe('text', () => {
  test('tokenize lowercases, splits punctuation, stems, and folds British spelling', () => {
    expect(tokenize('Few-Shot Networks')).toEqual(['few', 'shot', 'network']);
    expect(tokenize('optimisation')).toEqual(tokenize('optimization'));
    expect(tokenize('quantized')).toEqual(tokenize('quantization'));
  });
  test('contentTokens drops stopwords before stemming', () => {
    expect(contentTokens('running neural networks on the small devices')).toEqual(
      tokenize('running neural networks small devices'),
    );
  });
  test('countPhrase counts whole-token phrase matches only', () => {
    expect(
      countPhrase(
        tokenize('graph neural network and graph neural networks'),
        tokenize('graph neural network'),
      ),
    ).toBe(2);
    expect(countPhrase(tokenize('paragraph'), tokenize('graph'))).toBe(0);
  });
});

describe('BM25', () => {
  const docs = ['graph graph network', 'network model', 'graph network model study'].map((t) => ({
    title: [],
    keywords: [],
    abstract: tokenize(t),
  }));
  const bm25 = new Bm25Index(docs);
  test('a rarer word weighs more, and repetition helps with diminishing returns', () => {
    const graph = bm25.score([{ tokens: ['graph'], weight: 1, label: 'graph' }]);
    const network = bm25.score([{ tokens: ['network'], weight: 1, label: 'network' }]);
    expect(graph[0]).toBeGreaterThan(network[0] ?? 0);
    expect(graph[0]).toBeGreaterThan(graph[2] ?? 0);
    expect(graph[1]).toBe(0);
  });
  test('the title counts more than the abstract', () => {
    const fielded = new Bm25Index([
      { title: tokenize('graph'), keywords: [], abstract: tokenize('a study') },
      { title: tokenize('a study'), keywords: [], abstract: tokenize('graph') },
    ]);
    const scores = fielded.score([{ tokens: ['graph'], weight: 1, label: 'graph' }]);
    expect(scores[0]).toBeGreaterThan(scores[1] ?? 0);
  });
  test('a phrase matches only adjacent words', () => {
    const scores = bm25.score([{ tokens: tokenize('graph network'), weight: 1, label: 'graph network' }]);
    expect(scores[0]).toBeGreaterThan(0);
    expect(scores[1]).toBe(0);
  });
});

describe('queries and expansion', () => {
  test('a topic query holds its terms at full weight and synonyms lower', () => {
    const query = topicQuery({
      slug: 's',
      name: 'S',
      queryTerms: ['graph neural network'],
      synonyms: ['message passing'],
    });
    expect(query.map((t) => [t.label, t.weight])).toEqual([
      ['graph neural network', 1],
      ['message passing', 0.6],
    ]);
  });
  test('a free-text query holds its meaningful words and adjacent pairs', () => {
    const query = textQuery('learning on small devices');
    expect(query.map((t) => t.tokens.join(' '))).toEqual([
      'learn',
      'learn small',
      'small',
      'small devic',
      'devic',
    ]);
  });
  test('feedback adds the strongest words of the best matches, at a lower weight', () => {
    const query = textQuery('graph');
    const expanded = withFeedback(index.bm25, query, index.bm25.score(query), index.idRank);
    const added = expanded.slice(query.length);
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((t) => t.weight <= 0.35)).toBe(true);
    expect(added.map((t) => t.tokens[0])).toContain(tokenize('gnn')[0]);
  });
});

describe('input order', () => {
  test('feedback takes equally good matches by id, so the order papers come in does not change a ranking', () => {
    // p4 and p5 tie for feedback's fifth document; which one it reads decides whether p5 matches.
    const day = (
      [
        ['protein graph', 'graph'],
        ['protein gnn', 'graph'],
        ['protein', 'graph'],
        ['protein graph graph', 'graph'],
        ['graph', 'protein graph graph graph graph graph field graph graph neural'],
        ['graph graph field', 'graph graph neural protein'],
      ] as [string, string][]
    ).map(([title, abstract], i) => paper({ id: `p${i}`, title, abstract, ...seen }));
    const reader = prefs({ interests: ['protein'], limit: 1 });
    const forwards = rankPapers(indexPapers(day, { now: NOW }), reader).map((r) => r.paper.id);
    expect(forwards).toEqual(['p5']);
    expect(rankPapers(indexPapers([...day].reverse(), { now: NOW }), reader).map((r) => r.paper.id)).toEqual(
      forwards,
    );
  });
});

describe('trending', () => {
  test('no signals is 0; more signals more; it halves every half-life', () => {
    expect(trendingSignal({ upvotes: 0, comments: 0, stars: 0, firstSeenAt: NOW }, NOW)).toBe(0);
    const fresh = trendingSignal({ upvotes: 50, comments: 0, stars: 0, firstSeenAt: NOW }, NOW);
    expect(trendingSignal({ upvotes: 500, comments: 0, stars: 0, firstSeenAt: NOW }, NOW)).toBeGreaterThan(
      fresh,
    );
    const later = new Date(NOW.getTime() + TRENDING_HALF_LIFE_HOURS * 3_600_000);
    expect(trendingSignal({ upvotes: 50, comments: 0, stars: 0, firstSeenAt: NOW }, later)).toBeCloseTo(
      fresh / 2,
    );
  });
  test('a day’s rise in upvotes counts beyond the total', () => {
    const base = { upvotes: 10, comments: 0, stars: 0, firstSeenAt: NOW };
    expect(trendingSignal({ ...base, upvotesGained: 10 }, NOW)).toBeGreaterThan(trendingSignal(base, NOW));
  });
});

describe('rankPapers', () => {
  test('papers on the reader’s topic come first; unrelated papers never pad the digest', () => {
    expect(ids(prefs({ topics: [topic('graph-neural-networks')] })).sort()).toEqual(['gnn', 'gnn-hot']);
  });
  test('trending lifts a paper among equally relevant ones', () => {
    const [first, second] = rankPapers(index, prefs({ topics: [topic('graph-neural-networks')] }));
    expect(first?.trending).toBeGreaterThan(second?.trending ?? 1);
  });
  test('free-text interests find papers without a topic', () => {
    expect(ids(prefs({ interests: ['training networks on small edge devices with low precision'] }))[0]).toBe(
      'quant',
    );
  });
  test('excluded words keep a paper out whatever else matches', () => {
    expect(ids(prefs({ topics: [topic('graph-neural-networks')], excludes: ['message passing'] }))).toEqual([
      'gnn-hot',
    ]);
  });
  test('a followed author’s paper is always in, first', () => {
    expect(ids(prefs({ topics: [topic('graph-neural-networks')], authors: ['song han'] }))[0]).toBe('quant');
  });
  test('papers already sent are never ranked again', () => {
    expect(
      ids(prefs({ topics: [topic('graph-neural-networks')], alreadySent: new Set(['gnn-hot']) })),
    ).toEqual(['gnn']);
  });
  test('the only paper of the day is not sent when it does not really match', () => {
    const lonely = indexPapers(
      [
        paper({
          id: 'bio',
          title: 'Protein structures in yeast',
          abstract: 'A graph of protein contacts.',
          ...seen,
        }),
      ],
      { now: NOW },
    );
    expect(rankPapers(lonely, prefs({ topics: [topic('graph-neural-networks')] }))).toEqual([]);
  });
  test('diversity: a near-duplicate gives way to a different relevant paper', () => {
    const twins = [
      paper({
        id: 'a',
        title: 'Graph neural networks for molecules',
        abstract: 'GNN message passing for molecule property prediction.',
        upvotes: 50,
        ...seen,
      }),
      paper({
        id: 'b',
        title: 'Graph neural networks for molecules, again',
        abstract: 'GNN message passing for molecule property prediction.',
        upvotes: 49,
        ...seen,
      }),
      paper({
        id: 'c',
        title: 'Graph neural networks at web scale',
        abstract: 'A GNN serving recommendations to millions of users.',
        upvotes: 10,
        ...seen,
      }),
    ];
    const diverse = indexPapers(twins, { now: NOW, diversity: 0.5 });
    const plain = indexPapers(twins, { now: NOW, diversity: 1 });
    const p = prefs({ topics: [topic('graph-neural-networks')], limit: 2 });
    expect(rankPapers(plain, p).map((r) => r.paper.id)).toEqual(['a', 'b']);
    expect(rankPapers(diverse, p).map((r) => r.paper.id)).toEqual(['a', 'c']);
  });
  describe('score regularisation', () => {
    const molecules = [
      paper({
        id: 'a',
        title: 'Message passing for molecules',
        abstract: 'Graph neural networks predict molecule properties by message passing between atoms.',
        ...seen,
      }),
      paper({
        id: 'b',
        title: 'Message passing at scale',
        abstract:
          'Graph neural networks pass messages between atoms of a molecule to predict its properties.',
        ...seen,
      }),
      paper({
        id: 'c',
        title: 'Molecules as graphs',
        abstract:
          'Message passing over the atoms of a molecule: a graph neural network learns its properties.',
        ...seen,
      }),
    ];
    const lone = paper({
      id: 'lone',
      title: 'Colouring puzzles with graphs',
      abstract: 'A GNN solves colouring puzzles for fun and for profit, in many rounds.',
      ...seen,
    });
    const bio = papers.find((p) => p.id === 'bio');
    const gnn = topic('graph-neural-networks');
    test('a paper among good matches outranks a lone one that scores a little higher on its own words', () => {
      const day = indexPapers([...molecules, lone, ...(bio ? [bio] : [])], { now: NOW, diversity: 1 });
      const own = day.bm25.score(topicQuery(gnn));
      expect(own[3]).toBeGreaterThan(Math.max(own[0] ?? 0, own[1] ?? 0, own[2] ?? 0));
      expect(rankPapers(day, prefs({ topics: [gnn] })).map((r) => r.paper.id)).toEqual([
        'a',
        'b',
        'c',
        'lone',
      ]);
    });
    test('which papers match is decided on their own evidence: good neighbours do not lift a weak match in', () => {
      // One title word of the topic, far below a quarter of the best score, in a paper like the good matches.
      const atoms = paper({
        id: 'atoms',
        title: 'A graph of atoms in a molecule and of their bonds',
        abstract:
          'The properties of a molecule follow from its atoms and their bonds, over a long and detailed study ' +
          'of many molecules and their properties in chemistry, physics and biology, with tables.',
        ...seen,
      });
      const day = indexPapers([...molecules, atoms], { now: NOW });
      const own = day.bm25.score(topicQuery(gnn));
      expect(own[3]).toBeGreaterThan(0);
      expect(own[3]).toBeLessThan(0.25 * Math.max(...own));
      expect([...day.neighbours.of(3).papers].sort()).toEqual([0, 1, 2]);
      expect(rankPapers(day, prefs({ topics: [gnn] })).map((r) => r.paper.id)).toEqual(['a', 'b', 'c']);
    });
  });
  test('every result explains itself in one line', () => {
    const [first] = rankPapers(index, prefs({ topics: [topic('graph-neural-networks')] }));
    expect(first && explain(first.why)).toMatch(/^Graph neural networks · matched “.+” · trending #1$/);
  });
  test('a line made once for an explanation is only reused for the same explanation, rank and no followed author', () => {
    const topics = Object.freeze(['Graph neural networks']) as unknown as string[];
    const terms = Object.freeze(['gnn']) as unknown as string[];
    const why = (trendingRank: number | null, authors: string[] = []) => ({
      topics,
      terms,
      authors,
      trendingRank,
    });
    expect(explain(why(3))).toBe('Graph neural networks · matched “gnn” · trending #3');
    expect(explain(why(3))).toBe('Graph neural networks · matched “gnn” · trending #3');
    expect(explain(why(null))).toBe('Graph neural networks · matched “gnn”');
    expect(explain(why(3, ['Ada Lovelace']))).toBe(
      'by Ada Lovelace, whom you follow · Graph neural networks · matched “gnn” · trending #3',
    );
    // A list that can still change is never trusted to say the same thing twice.
    const open = ['Graph neural networks'];
    expect(explain({ topics: open, terms, authors: [], trendingRank: 1 })).toMatch(
      /^Graph neural networks ·/,
    );
    open[0] = 'Optimization';
    expect(explain({ topics: open, terms, authors: [], trendingRank: 1 })).toMatch(/^Optimization ·/);
  });
  test('the empty-digest fallback is today’s trending, labelled', () => {
    const [first] = trendingFallback(index, prefs({ topics: [topic('medical-imaging')] }));
    expect(first?.paper.id).toBe('gnn-hot');
    expect(first && explain(first.why)).toBe(
      'nothing matched your topics today; trending instead · trending #1',
    );
  });
});

describe('properties', () => {
  const word = fc.constantFrom(
    'graph',
    'neural',
    'network',
    'quantization',
    'optimizer',
    'adam',
    'protein',
    'field',
    'training',
    'gnn',
    'device',
  );
  const arbPaper = fc.record({
    title: fc.array(word, { minLength: 1, maxLength: 6 }).map((w) => w.join(' ')),
    abstract: fc.array(word, { minLength: 1, maxLength: 20 }).map((w) => w.join(' ')),
    upvotes: fc.nat(200),
  });
  const arbPapers = fc
    .uniqueArray(arbPaper, { minLength: 1, maxLength: 25, selector: (p) => p.title })
    .map((list) => list.map((p, i) => paper({ id: `p${i}`, ...p, ...seen })));
  const arbPrefs = fc.record({
    topics: fc.subarray(TOPICS.slice(0, 12) as (typeof TOPICS)[number][]),
    interests: fc.array(
      fc.array(word, { minLength: 1, maxLength: 4 }).map((w) => w.join(' ')),
      { maxLength: 2 },
    ),
    excludes: fc.array(word, { maxLength: 2 }),
    limit: fc.integer({ min: 1, max: 25 }),
  });

  test('a paper’s neighbours are its most similar others (similarity > 0), ties by id', () => {
    // Many papers from few words, so the list is cut and similarities tie.
    const crowd = fc
      .array(arbPaper, { minLength: NEIGHBOURS, maxLength: NEIGHBOURS + 20 })
      .map((list) => list.map((p, i) => paper({ id: `p${i}`, ...p, ...seen })));
    fc.assert(
      fc.property(crowd, fc.nat(), (list, pick) => {
        const crowdIndex = indexPapers(list, { now: NOW });
        const i = pick % list.length;
        const similarity = (j: number) => crowdIndex.similarity.between(i, j);
        const expected = [...list.keys()]
          .filter((j) => j !== i && similarity(j) > 0)
          .sort(
            (a, b) =>
              similarity(b) - similarity(a) ||
              ((list[a]?.id ?? '') < (list[b]?.id ?? '')
                ? -1
                : (list[a]?.id ?? '') > (list[b]?.id ?? '')
                  ? 1
                  : 0),
          )
          .slice(0, NEIGHBOURS);
        const hood = crowdIndex.neighbours.of(i);
        expect([...hood.papers]).toEqual(expected);
        expect([...hood.similarities]).toEqual(expected.map(similarity));
      }),
      { numRuns: 60 },
    );
  });
  test('deterministic, never over the limit, never an excluded word, and the same for any input order', () => {
    fc.assert(
      fc.property(arbPapers, arbPrefs, (list, p) => {
        const preferences = prefs(p);
        const first = rankPapers(indexPapers(list, { now: NOW }), preferences).map((r) => r.paper.id);
        expect(rankPapers(indexPapers(list, { now: NOW }), preferences).map((r) => r.paper.id)).toEqual(
          first,
        );
        expect(
          rankPapers(indexPapers([...list].reverse(), { now: NOW }), preferences).map((r) => r.paper.id),
        ).toEqual(first);
        expect(first.length).toBeLessThanOrEqual(p.limit);
        for (const id of first) {
          const chosen = list.find((x) => x.id === id);
          const tokens = tokenize(`${chosen?.title} ${chosen?.abstract}`);
          for (const excluded of p.excludes) expect(tokens).not.toContain(tokenize(excluded)[0]);
        }
      }),
      { numRuns: 150 },
    );
  });
});
