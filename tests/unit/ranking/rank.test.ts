import { describe, expect, test } from 'vitest';
import {
  explain,
  indexPapers,
  type Preferences,
  rankPapers,
  trendingScore,
} from '../../../src/ranking/rank.ts';
import { contentTokens, countPhrase, tokenize } from '../../../src/ranking/text.ts';
import { TOPICS } from '../../../src/topics/taxonomy.ts';
import { paper } from '../../helpers/factories.ts';

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

const papers = [
  paper({
    id: 'gnn',
    title: 'Message passing graph neural networks',
    abstract: 'We study GNN training on large graphs.',
  }),
  paper({
    id: 'gnn-hot',
    title: 'Scalable graph neural networks',
    abstract: 'A GNN for graphs.',
    upvotes: 120,
  }),
  paper({
    id: 'opt',
    title: 'Adam is a natural gradient optimizer',
    abstract: 'Convergence of stochastic gradient methods.',
  }),
  paper({
    id: 'quant',
    title: 'INT4 quantization for on-device training',
    abstract: 'Low-precision training on edge devices.',
    authors: ['Song Han'],
  }),
  paper({ id: 'bio', title: 'Protein structures in yeast', abstract: 'Wet-lab biology.' }),
];
const index = indexPapers(papers);
const ids = (p: Preferences) => rankPapers(index, p).map((r) => r.paper.id);

describe('text', () => {
  test('tokenize lowercases, splits punctuation and folds plurals', () => {
    expect(tokenize('Few-Shot Networks, GNNs & Studies')).toEqual(['few', 'shot', 'network', 'gnn', 'study']);
  });
  test('contentTokens drops stopwords', () => {
    expect(contentTokens('running neural networks on the small devices')).toEqual([
      'running',
      'neural',
      'network',
      'small',
      'device',
    ]);
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

describe('rankPapers', () => {
  test('papers on the reader’s topic come first; unrelated papers never pad the digest', () => {
    expect(ids(prefs({ topics: [topic('graph-neural-networks')] }))).toEqual(['gnn-hot', 'gnn']);
  });

  test('trending breaks a near tie in relevance', () => {
    const ranked = rankPapers(index, prefs({ topics: [topic('graph-neural-networks')] }));
    expect(ranked[0]?.trending).toBeGreaterThan(ranked[1]?.trending ?? Number.POSITIVE_INFINITY);
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

  test('never more than the limit, and the same order for any input order', () => {
    const p = prefs({ topics: TOPICS.slice(), limit: 3 });
    const forward = ids(p);
    expect(forward).toHaveLength(3);
    expect(rankPapers(indexPapers([...papers].reverse()), p).map((r) => r.paper.id)).toEqual(forward);
  });

  test('every result explains itself in one line', () => {
    const [first] = rankPapers(index, prefs({ topics: [topic('graph-neural-networks')] }));
    expect(first && explain(first.why)).toMatch(/^Graph neural networks · matched “.+” · trending #1$/);
  });
});

test('trending is 1 with no signals and grows with them', () => {
  expect(trendingScore({ upvotes: 0, comments: 0, stars: 0 })).toBe(1);
  expect(trendingScore({ upvotes: 10, comments: 0, stars: 0 })).toBeGreaterThan(1);
  expect(trendingScore({ upvotes: 100, comments: 0, stars: 0 })).toBeGreaterThan(
    trendingScore({ upvotes: 10, comments: 0, stars: 0 }),
  );
});
