import { describe, expect, test } from 'vitest';
import {
  compileDigestTemplate,
  type DigestValues,
  dateLabelOf,
  digestValues,
  shorten,
} from '../../../src/digest/render.ts';
import { compileEmailTemplate } from '../../../src/mail/templates.ts';
import { loadSamplePapers } from '../../../src/papers/sample.ts';
import { paper } from '../../helpers/factories.ts';

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

// The digest template fills text split once (document, per-paper blocks); the reference is the
// same template filled by Handlebars in one go, as every email was before the split.
describe('the split digest template', () => {
  const hostile = '<script>alert("x")</script> & `tick` = \'quote\'';
  const hostilePaper = paper({
    id: '2611.00009',
    title: `Graph networks ${hostile}`,
    abstract: `Message passing with <img src=x onerror=alert(1)> ${hostile}`,
    authors: ['Eve\r\nBcc: victim@example.com', 'Ada <b>Lovelace</b>'],
    pageUrl: 'https://example.com/a?x=1&y="2"',
    pdfUrl: 'https://example.com/a.pdf?x=<1>',
    codeUrl: null,
  });
  const plainPaper = paper({
    id: '2611.00010',
    title: 'Plain',
    authors: [],
    codeUrl: 'https://code.example',
  });
  const reader = (why: string, papers = [hostilePaper, plainPaper]) =>
    digestValues({
      email: `"${hostile}"@example.com`,
      digestDate: '2026-11-28',
      papers: papers.map((p, i) => ({ paper: p, why: `${why} #${i + 1}` })),
      links: { ...links, viewUrl: `${links.viewUrl}&x=<${why}>` },
    });

  test('hostile strings come out escaped exactly as the whole-template rendering escapes them', async () => {
    const [split, reference] = await Promise.all([
      compileDigestTemplate(),
      compileEmailTemplate<DigestValues>('digest'),
    ]);
    // Line breaks in values make runs of them across the text part's pieces.
    const breaks = digestValues({
      email: 'reader@example.com\n\n\n',
      digestDate: '2026-11-28',
      papers: [hostilePaper, plainPaper].map((p) => ({ paper: p, why: '\n\nwhy\n\n\n' })),
      links: { ...links, viewUrl: '\n' },
    });
    for (const values of [reader(hostile), reader(''), reader('x', []), reader('y', [plainPaper]), breaks]) {
      expect(split.html(values)).toBe(reference.html(values));
      expect(split.text(values)).toBe(reference.text(values));
    }
    const html = split.html(reader(hostile));
    expect(html).not.toMatch(/<script>|<img src=x|<b>Lovelace/);
    expect(html).toContain('Why: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x60;tick&#x60;');
    expect(split.text(reader(hostile))).toContain('Eve Bcc: victim@example.com, Ada <b>Lovelace</b>');
  });

  test('readers sharing a paper each get their own position and reason', async () => {
    const template = await compileDigestTemplate();
    const first = reader('because of Ann');
    const second = reader('because of Bob', [plainPaper, hostilePaper]);
    expect(second.papers[1]?.paper).toBe(first.papers[0]?.paper); // one cached block serves both
    for (const part of ['html', 'text'] as const) {
      const [one, two] = [template[part](first), template[part](second)];
      expect(one).toContain('because of Ann #1');
      expect(one).not.toContain('because of Bob');
      expect(two).toContain('because of Bob #2');
      expect(two).not.toContain('because of Ann');
      expect(two).toMatch(/2\. Graph networks/);
      expect(template[part](first)).toBe(one);
    }
  });
});

test('a paper loaded again is shown from the same view, and anew once what it shows changed', async () => {
  const template = await compileDigestTemplate();
  const shown = (p: ReturnType<typeof paper>) =>
    digestValues({
      email: 'r@example.com',
      digestDate: '2026-11-28',
      papers: [{ paper: p, why: 'w' }],
      links,
    });
  const loaded = paper({ id: '2611.00011', title: 'Kept between batches', authors: ['Ann'] });
  const first = shown(loaded);
  // The next batch loads the same paper as a new object: its rendered blocks are kept.
  expect(shown({ ...loaded, authors: [...loaded.authors] }).papers[0]?.paper).toBe(first.papers[0]?.paper);
  for (const change of [
    { title: 'Retitled' },
    { authors: ['Ann', 'Bob'] },
    { pdfUrl: 'https://pdf.example' },
  ]) {
    const before = shown({ ...loaded }).papers[0]?.paper;
    const changed = shown({ ...loaded, ...change });
    expect(changed.papers[0]?.paper).not.toBe(before);
    expect(template.html(changed)).toBe((await compileEmailTemplate<DigestValues>('digest')).html(changed));
  }
  expect(template.text(shown({ ...loaded, title: 'Retitled' }))).toContain('1. Retitled');
});

test('the date label is written as en-GB writes it', () => {
  expect(dateLabelOf('2026-11-28')).toBe('Saturday, 28 November 2026');
  expect(dateLabelOf('2027-01-01')).toBe('Friday, 1 January 2027');
  expect(dateLabelOf('2028-02-29')).toBe('Tuesday, 29 February 2028');
});

test('shorten cuts at a word and marks the cut', () => {
  expect(shorten('one two three four', 9)).toBe('one two…');
  expect(shorten('short', 9)).toBe('short');
});
