import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  cleanText,
  dedupeBatch,
  mergePapers,
  type NormalisedPaper,
  normalisePaper,
} from '../../../src/papers/normalise.ts';
import {
  FormatError,
  parseArxivAtom,
  parseArxivRss,
  parseHfDailyPapers,
  parseNormalisedJsonl,
} from '../../../src/papers/sources/formats.ts';
import { retryAfterMs } from '../../../src/papers/sources/http.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/sources/${name}`, import.meta.url), 'utf8');
const normalised = (raw: Parameters<typeof normalisePaper>[0], signals = false) => {
  const paper = normalisePaper(raw, signals);
  if ('skip' in paper) throw new Error(paper.skip);
  return paper;
};

describe('Hugging Face daily_papers', () => {
  test('reads every item with its signals, keywords and links', () => {
    const { records, unreadable } = parseHfDailyPapers(fixture('hf-daily-papers-p0.json'));
    expect(records).toHaveLength(100);
    expect(unreadable).toBe(0);
    const paper = normalised(records[4] ?? {}, true);
    expect(paper).toMatchObject({
      id: '2611.10004',
      upvotes: (4 * 37) % 90,
      comments: 4,
      stars: 12,
      codeUrl: 'https://github.com/example/repo-4',
      pageUrl: 'https://huggingface.co/papers/2611.10004',
      pdfUrl: 'https://arxiv.org/pdf/2611.10004',
      authors: ['Author 4 One', 'Author 4 Two'],
    });
    expect(paper.keywords.length).toBeGreaterThan(0);
  });

  test('accepts fields at the top level, as the official client reads them', () => {
    const [record] = parseHfDailyPapers(
      JSON.stringify([
        { paper: { id: '2406.01234', summary: 'S' }, title: 'T', ai_keywords: ['k'], githubStars: 5 },
      ]),
    ).records;
    expect(normalised(record ?? {}, true)).toMatchObject({
      id: '2406.01234',
      title: 'T',
      keywords: ['k'],
      stars: 5,
    });
  });

  test('a truncated body is a format error, not a crash', () => {
    expect(() => parseHfDailyPapers(fixture('hf-daily-papers-p1.json').slice(0, 500))).toThrow(FormatError);
  });
});

describe('arXiv', () => {
  test('Atom: version-less ids, line breaks cleaned, categories, PDF link, total', () => {
    const parsed = parseArxivAtom(fixture('arxiv-query.xml'));
    expect(parsed.total).toBe(29);
    const paper = normalised(parsed.records[0] ?? {});
    expect(paper.id).toBe('2611.10090');
    expect(paper.title).not.toMatch(/\n|\s{2}/);
    expect(paper.categories).toEqual(['cs.LG', 'math.OC']);
    expect(paper.pdfUrl).toBe('http://arxiv.org/pdf/2611.10090v1');
    expect(paper.authors).toHaveLength(3);
  });

  test('Atom: an error feed says what arXiv said', () => {
    const error = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/api/errors#x</id><title>Error</title><summary>incorrect id format for 1234.12345</summary></entry></feed>`;
    expect(() => parseArxivAtom(error)).toThrow(/incorrect id format/);
  });

  test('RSS: new and cross-listed kept, replacements left out, authors split', () => {
    const parsed = parseArxivRss(fixture('arxiv-rss.xml'));
    expect(parsed.records).toHaveLength(6);
    expect(parsed.leftOut).toBe(4);
    const paper = normalised(parsed.records[0] ?? {});
    expect(paper).toMatchObject({
      id: '2611.10000',
      authors: ['Author 0 One', 'Author 0 Two', 'Author 0 Three'],
    });
    expect(paper.abstract.startsWith('We present EGN')).toBe(true);
  });

  test('malformed XML is a format error', () => {
    expect(() => parseArxivAtom('<feed><entry></feed>')).toThrow(FormatError);
  });
});

describe('normalising', () => {
  test.each([
    ['HTML', 'Graph <b>neural</b> <script>x()</script>nets', 'Graph neural x() nets'],
    [
      'LaTeX',
      'On $L_1$ penalties and \\emph{sparse} \\textbf{models}\\cite{a}',
      'On L_1 penalties and sparse models',
    ],
    ['control characters and RTL overrides', 'Evil\u202Etxt.exe\u0007 title', 'Evil txt.exe title'],
    ['entities', 'Q&amp;A &lt;3', 'Q&A <3'],
    ['whitespace', '  two\n   lines\t', 'two lines'],
  ])('cleans %s', (_name, input, output) => {
    expect(cleanText(input)).toBe(output);
  });

  test.each([
    [{ title: '', abstract: 'A' }, 'missing title'],
    [{ title: 'T', abstract: '   ' }, 'missing abstract'],
    [{ title: 'T', abstract: 'x'.repeat(5_000_000) }, 'abstract too large'],
    [{ title: 'T'.repeat(2000), abstract: 'A' }, 'title too long'],
  ])('skips %j with a reason', (raw, reason) => {
    expect(normalisePaper(raw, false)).toEqual({ skip: reason });
  });

  test('keeps the original text beside the cleaned one', () => {
    expect(normalised({ title: 'A <i>b</i>', abstract: 'c' })).toMatchObject({
      title: 'A b',
      titleOriginal: 'A <i>b</i>',
    });
  });

  test('merging two sightings keeps the longest abstract, the union of categories and the signals that exist', () => {
    const arxiv: NormalisedPaper = normalised({
      arxivRef: '2406.01234v2',
      title: 'T',
      abstract: 'A longer abstract.',
      categories: ['cs.LG'],
    });
    const hf: NormalisedPaper = normalised(
      { arxivRef: '2406.01234', title: 'T', abstract: 'Short.', categories: ['stat.ML'], upvotes: 9 },
      true,
    );
    for (const merged of [mergePapers(arxiv, hf), mergePapers(hf, arxiv)]) {
      expect(merged).toMatchObject({
        id: '2406.01234',
        abstract: 'A longer abstract.',
        upvotes: 9,
        hasSignals: true,
      });
      expect(new Set(merged.categories)).toEqual(new Set(['cs.LG', 'stat.ML']));
    }
  });

  test('duplicates inside one batch fold into one record', () => {
    const a = normalised({ arxivRef: 'arXiv:2406.01234', title: 'T', abstract: 'A' });
    const b = normalised({ arxivRef: 'https://arxiv.org/abs/2406.01234v3', title: 'T', abstract: 'AB' });
    expect(dedupeBatch([a, b])).toMatchObject({ duplicates: 1, papers: [{ abstract: 'AB' }] });
  });

  test('JSON Lines: an unreadable line is counted, the rest read', () => {
    const parsed = parseNormalisedJsonl('{"id":"2406.00001","title":"T","abstract":"A"}\n{not json\n[1]\n');
    expect(parsed.records).toHaveLength(1);
    expect(parsed.unreadable).toBe(2);
  });
});

test('Retry-After in seconds or as an HTTP date', () => {
  expect(retryAfterMs('3')).toBe(3000);
  expect(retryAfterMs(new Date(Date.now() + 5000).toUTCString(), Date.now())).toBeGreaterThan(3000);
  expect(retryAfterMs('soon')).toBeNull();
  expect(retryAfterMs(null)).toBeNull();
});
