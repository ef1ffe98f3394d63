import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { canonicalArxivId, titleId } from '../../../src/papers/paper.ts';
import { loadSamplePapers } from '../../../src/papers/sample.ts';

describe('canonicalArxivId', () => {
  test.each([
    ['2406.01234', '2406.01234'],
    ['2406.01234v3', '2406.01234'],
    ['arXiv:2406.01234', '2406.01234'],
    ['https://arxiv.org/abs/2406.01234v2', '2406.01234'],
    ['https://arxiv.org/pdf/2406.01234v2', '2406.01234'],
    ['0704.0001', '0704.0001'],
    ['hep-th/9901001', 'hep-th/9901001'],
    ['http://arxiv.org/abs/hep-th/9901001v2', 'hep-th/9901001'],
    ['math.GT/0309136', 'math.GT/0309136'],
    ['not an id', null],
  ])('%s → %s', (input, expected) => {
    expect(canonicalArxivId(input)).toBe(expected);
  });
});

test('a title id ignores case and spacing, and differs between titles', () => {
  expect(titleId('Graph  Neural\nNetworks')).toBe(titleId('graph neural networks'));
  expect(titleId('Graph Neural Networks')).not.toBe(titleId('Graph Neural Network'));
});

test('the bundled sample holds the seed page’s 119 papers, text unchanged', () => {
  const papers = loadSamplePapers(new Date());
  expect(papers).toHaveLength(119);
  expect(new Set(papers.map((p) => p.id)).size).toBe(119);
  const seed = readFileSync(new URL('../../fixtures/seed-excerpt.txt', import.meta.url), 'utf8').split('\n');
  expect(papers[0]?.title).toBe(seed[0]);
  expect(papers[0]?.abstract).toBe(seed[1]);
  expect(papers.at(-1)?.title).toBe(
    'Learned Initializations for Optimizing Coordinate-Based Neural Representations',
  );
});
