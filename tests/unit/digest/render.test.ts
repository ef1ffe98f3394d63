import { describe, expect, test } from 'vitest';
import { compileDigestTemplate, digestValues, shorten } from '../../../src/digest/render.ts';
import { loadSamplePapers } from '../../../src/papers/sample.ts';

const links = {
  manageUrl: 'https://paperboy.example/manage?token=m',
  unsubscribeUrl: 'https://paperboy.example/unsubscribe?token=u',
  viewUrl: 'https://paperboy.example/digest/d?token=v',
};

/** The golden digest: the first three sample papers, for one reader, on a fixed date. */
function golden() {
  const papers = loadSamplePapers(new Date('2026-11-28T00:00:00Z')).slice(0, 3);
  return digestValues({
    email: 'reader@example.com',
    digestDate: '2026-11-28',
    papers: papers.map((paper, i) => ({
      paper: { ...paper, authors: i === 0 ? ['Ada Lovelace', 'Alan Turing'] : [] },
      why: `Optimization for deep learning · trending #${i + 1}`,
    })),
    links,
  });
}

describe('digest rendering', () => {
  test('the golden digest renders as it did (HTML and text)', async () => {
    const template = await compileDigestTemplate();
    const values = golden();
    await expect(template.text(values)).toMatchFileSnapshot('../../fixtures/golden-digest.txt');
    await expect(template.html(values)).toMatchFileSnapshot('../../fixtures/golden-digest.html');
  });

  test('a digest carries manage, view-in-browser and unsubscribe links in both parts', async () => {
    const template = await compileDigestTemplate();
    const values = golden();
    const text = template.text(values);
    for (const url of Object.values(links)) expect(text).toContain(url);
    expect(template.html(values)).toContain('https://paperboy.example/unsubscribe?token&#x3D;u');
  });

  test('the largest realistic digest (25 papers, long abstracts) stays under 90 KB of HTML', async () => {
    const template = await compileDigestTemplate();
    const papers = loadSamplePapers(new Date())
      .sort((a, b) => b.abstract.length - a.abstract.length)
      .slice(0, 25)
      .map((paper) => ({
        paper: { ...paper, authors: Array.from({ length: 12 }, (_, i) => `Author Number${i}`) },
        why: 'Graph neural networks, Optimization · matched “gnn”, “message passing”, “graph” · trending #12',
      }));
    const html = template.html(
      digestValues({ email: 'reader@example.com', digestDate: '2026-11-28', papers, links }),
    );
    expect(Buffer.byteLength(html)).toBeLessThan(90 * 1024);
  });

  test('the subject names the count and the top paper on one line', () => {
    expect(golden().subject).toBe(
      '3 trending papers for you: Exact Gauss-Newton Optimization for Training Deep Neural…',
    );
  });
});

test('shorten cuts at a word and marks the cut', () => {
  expect(shorten('one two three four', 9)).toBe('one two…');
  expect(shorten('short', 9)).toBe('short');
});
