import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { ingestSources } from '../../jobs/ingest.ts';
import type { Config } from '../../src/config.ts';
import { runDigest } from '../../src/digest/run.ts';
import { ingestFrom } from '../../src/papers/ingest.ts';
import { createSources, fetchPolicy } from '../../src/papers/sources/index.ts';
import { FixtureServer, send } from '../helpers/fixture-server.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/sources/${name}`, import.meta.url), 'utf8');
const HF = '/api/daily_papers';
const ARXIV = '/api/query';
const JSON_TYPE = 'application/json; charset=utf-8';
const ATOM_TYPE = 'application/atom+xml; charset=utf-8';

let h: Harness;
let server: FixtureServer;
let settings: Config['sources'];

beforeAll(async () => {
  h = await startHarness({ http: false });
  server = await FixtureServer.start();
  settings = {
    enabled: ['huggingface', 'arxiv'],
    huggingFaceUrl: server.url,
    arxivApiUrl: server.url,
    arxivRssUrl: server.url,
    arxivCategories: ['cs.LG', 'stat.ML'],
    arxivMinIntervalMs: 0,
    timeoutMs: 1_000,
    contact: 'ops@example.com',
  };
});
afterAll(async () => {
  await server?.close();
  await h?.close();
});
beforeEach(async () => {
  await h.db.paper.deleteMany();
  await h.db.httpCache.deleteMany();
  h.setNow(new Date('2026-11-27T09:00:00Z'));
  server.requests.length = 0;
});

/** The real sources against the fixture server, with short waits so retries do not slow the suite. */
function sources(names: Config['sources']['enabled'], overrides: Partial<Config['sources']> = {}) {
  const s = { ...settings, ...overrides };
  return createSources(h.db, s, 'https://paperboy.example', names, {
    ...fetchPolicy(s, 'https://paperboy.example'),
    baseDelayMs: 20,
    maxDelayMs: 3_000,
  });
}

function serveHuggingFace(etag?: string) {
  server.route(HF, (req, res) =>
    send(
      res,
      req,
      fixture(`hf-daily-papers-p${req.query.get('p')}.json`),
      JSON_TYPE,
      etag && `"${etag}-${req.query.get('p')}"`,
    ),
  );
}

describe('Hugging Face daily papers', () => {
  test('pages through a day and stores every paper with its signals; the same input again creates nothing', async () => {
    serveHuggingFace();
    const [source] = sources(['huggingface']);
    if (!source) throw new Error('no source');
    const first = await ingestFrom(h.deps, source, '2026-11-27');
    expect(first).toMatchObject({
      source: 'huggingface',
      fetched: 119,
      created: 119,
      updated: 0,
      skipped: 0,
      errors: 0,
    });
    expect(server.seen(HF).map((r) => [r.query.get('date'), r.query.get('p')])).toEqual([
      ['2026-11-27', '0'],
      ['2026-11-27', '1'],
    ]);
    expect(server.seen(HF)[0]?.headers['user-agent']).toMatch(/^Paperboy\/.*mailto:ops@example\.com/);
    const stored = await h.db.paper.findUniqueOrThrow({ where: { id: '2611.10004' } });
    expect(stored).toMatchObject({ upvotes: 58, comments: 4, stars: 12, sources: ['huggingface'] });
    expect(await h.db.paperSignal.count()).toBe(119);

    const second = await ingestFrom(h.deps, source, '2026-11-27');
    expect(second).toMatchObject({ fetched: 119, created: 0, updated: 0, unchanged: 119 });
    expect(await h.db.paperSignal.count()).toBe(119);
    expect(await h.db.ingestRun.count({ where: { source: 'huggingface', status: 'succeeded' } })).toBe(2);
  });

  test('conditional requests: an unchanged day answers 304 and costs nothing', async () => {
    serveHuggingFace('v1');
    const [source] = sources(['huggingface']);
    if (!source) throw new Error('no source');
    await ingestFrom(h.deps, source, '2026-11-27');
    const again = await ingestFrom(h.deps, source, '2026-11-27');
    expect(again).toMatchObject({ fetched: 0, created: 0, errors: 0 });
    expect(server.seen(HF).at(-1)?.headers['if-none-match']).toBe('"v1-0"');
  });

  test('new upvotes on a later day: updated, a new snapshot, and a candidate again though first seen earlier', async () => {
    serveHuggingFace();
    const [source] = sources(['huggingface']);
    if (!source) throw new Error('no source');
    await ingestFrom(h.deps, source, '2026-11-27');
    h.setNow(new Date('2026-11-29T09:00:00Z'));
    const items = JSON.parse(fixture('hf-daily-papers-p1.json')) as {
      paper: { id: string; upvotes: number };
    }[];
    for (const item of items) if (item.paper.id === '2611.10100') item.paper.upvotes = 500;
    server.route(HF, (req, res) =>
      send(
        res,
        req,
        req.query.get('p') === '1' ? JSON.stringify(items) : fixture('hf-daily-papers-p0.json'),
        JSON_TYPE,
      ),
    );
    const later = await ingestFrom(h.deps, source, '2026-11-29');
    expect(later).toMatchObject({ created: 0, updated: 1, unchanged: 118 });
    expect(await h.db.paperSignal.count({ where: { paperId: '2611.10100' } })).toBe(2);
    const run = await runDigest(h.deps, { dryRun: true });
    expect(run.candidatePapers).toBe(1);
  });
});

describe('arXiv and merging', () => {
  test('the same paper from both sources is one paper with both sources’ fields', async () => {
    serveHuggingFace();
    server.route(ARXIV, (req, res) => send(res, req, fixture('arxiv-query.xml'), ATOM_TYPE));
    const results = await ingestSources({ deps: h.deps }, sources(['huggingface', 'arxiv']), '2026-11-27');
    expect(results.map((r) => [r.source, r.created, r.updated])).toEqual([
      ['huggingface', 119, 0],
      ['arxiv', 0, 29],
    ]);
    expect(await h.db.paper.count()).toBe(119);
    const merged = await h.db.paper.findUniqueOrThrow({ where: { id: '2611.10091' } });
    expect(merged.sources).toEqual(['huggingface', 'arxiv']);
    expect(merged.categories).toEqual(['cs.LG', 'stat.ML']);
    expect(merged.upvotes).toBe((91 * 37) % 90);
    const query = server.seen(ARXIV)[0]?.query;
    expect(query?.get('search_query')).toBe(
      '(cat:cs.LG OR cat:stat.ML) AND submittedDate:[202611260000 TO 202611262359]',
    );
  });

  test('requests to arXiv are spaced by the configured interval, one at a time', async () => {
    server.route(ARXIV, (req, res, n) =>
      n < 3 ? res.writeHead(503).end() : send(res, req, fixture('arxiv-query.xml'), ATOM_TYPE),
    );
    const [source] = sources(['arxiv'], { arxivMinIntervalMs: 300 });
    if (!source) throw new Error('no source');
    expect(await ingestFrom(h.deps, source, '2026-11-27')).toMatchObject({ created: 29, errors: 0 });
    const times = server.seen(ARXIV).map((r) => r.at);
    expect(times).toHaveLength(3);
    for (let i = 1; i < times.length; i++)
      expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(290);
  });

  test('RSS keeps new and cross-listed papers and leaves replacements out', async () => {
    server.route('/rss/cs.LG+stat.ML', (req, res) =>
      send(res, req, fixture('arxiv-rss.xml'), 'application/rss+xml'),
    );
    const [source] = sources(['arxiv-rss']);
    if (!source) throw new Error('no source');
    expect(await ingestFrom(h.deps, source, '2026-11-27')).toMatchObject({
      fetched: 10,
      created: 6,
      skipped: 4,
      skippedBy: { 'replacement of an old paper': 4 },
    });
  });
});

describe('a misbehaving source', () => {
  test('429 with Retry-After is waited out and retried', async () => {
    server.route(HF, (req, res, n) =>
      n === 1
        ? res.writeHead(429, { 'retry-after': '1' }).end()
        : send(res, req, fixture(`hf-daily-papers-p${req.query.get('p')}.json`), JSON_TYPE),
    );
    const [source] = sources(['huggingface']);
    if (!source) throw new Error('no source');
    expect(await ingestFrom(h.deps, source, '2026-11-27')).toMatchObject({ created: 119, errors: 0 });
    const [first, second] = server.seen(HF);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  test('a source that stays down is recorded as failed; the next source still runs and stored data is untouched', async () => {
    serveHuggingFace();
    const [hf] = sources(['huggingface']);
    if (!hf) throw new Error('no source');
    await ingestFrom(h.deps, hf, '2026-11-27');
    const before = await h.db.paper.findMany({ orderBy: { id: 'asc' } });
    server.route(HF, (_req, res) => res.writeHead(500).end('boom'));
    server.route(ARXIV, (req, res) => send(res, req, fixture('arxiv-query.xml'), ATOM_TYPE));
    const results = await ingestSources({ deps: h.deps }, sources(['huggingface', 'arxiv']), '2026-11-28');
    expect(results[0]).toMatchObject({
      source: 'huggingface',
      errors: 1,
      error: expect.stringMatching(/HTTP 500 \(gave up after 5 attempts\)/),
    });
    expect(results[1]).toMatchObject({ source: 'arxiv', errors: 0, updated: 29 });
    expect(server.seen(HF).filter((r) => r.query.get('date') === '2026-11-28')).toHaveLength(5);
    const after = await h.db.paper.findMany({
      orderBy: { id: 'asc' },
      where: {
        id: { notIn: (await h.db.paper.findMany({ where: { sources: { has: 'arxiv' } } })).map((p) => p.id) },
      },
    });
    expect(after).toEqual(before.filter((p) => after.some((a) => a.id === p.id)));
    expect(
      await h.db.ingestRun.findFirst({ where: { source: 'huggingface', status: 'failed' } }),
    ).toMatchObject({ errors: 1 });
  });

  test.each([
    [
      'a slow response past the timeout',
      (res: import('node:http').ServerResponse) =>
        setTimeout(() => res.writeHead(200, { 'content-type': JSON_TYPE }).end('[]'), 1_500),
      /timed out after 1000 ms/,
    ],
    [
      'malformed JSON',
      (res: import('node:http').ServerResponse) =>
        res.writeHead(200, { 'content-type': JSON_TYPE }).end('[{"paper": {"id": "2611.1"'),
      /not valid JSON/,
    ],
    [
      'a wrong content type',
      (res: import('node:http').ServerResponse) =>
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>rate limited</html>'),
      /unexpected content type "text\/html"/,
    ],
    [
      'a body cut off mid-way',
      (res: import('node:http').ServerResponse) => {
        res.writeHead(200, { 'content-type': JSON_TYPE, 'content-length': '100000' });
        res.write('[{"paper":');
        setTimeout(() => res.destroy(), 20);
      },
      /connection dropped mid-body|network error|not valid JSON/,
    ],
  ])('%s: a clear error, nothing stored', async (_name, respond, message) => {
    server.route(HF, (_req, res) => respond(res));
    const [source] = sources(['huggingface'], {});
    if (!source) throw new Error('no source');
    const result = await ingestFrom(
      h.deps,
      { ...source, batches: (date) => source.batches(date) },
      '2026-11-27',
    );
    expect(result.errors).toBe(1);
    expect(result.error).toMatch(message);
    expect(await h.db.paper.count()).toBe(0);
  });

  test('bad records are cleaned or skipped with a counted reason; the rest are stored', async () => {
    const good = JSON.parse(fixture('hf-daily-papers-p1.json')) as Record<string, unknown>[];
    const hostile = [
      {
        paper: {
          id: '2611.99001',
          title: 'Attack <script>alert(1)</script>\u202Egnp.exe',
          summary: 'Evil\u0000 text <img src=x onerror=alert(1)>',
        },
      },
      { paper: { id: '2611.99002', title: 'Huge', summary: 'x'.repeat(5 * 1024 * 1024) } },
      { paper: { id: '2611.99003', summary: 'no title' } },
      'not an object',
      good[0],
    ];
    server.route(HF, (req, res) => send(res, req, JSON.stringify([...good, ...hostile]), JSON_TYPE));
    const [source] = sources(['huggingface']);
    if (!source) throw new Error('no source');
    const result = await ingestFrom(h.deps, source, '2026-11-27');
    expect(result).toMatchObject({
      fetched: 24,
      created: 20,
      skipped: 4,
      skippedBy: {
        'abstract too large': 1,
        'missing title': 1,
        'unreadable entry': 1,
        'duplicate in batch (merged)': 1,
      },
    });
    const attack = await h.db.paper.findUniqueOrThrow({ where: { id: '2611.99001' } });
    expect(attack.title).toBe('Attack alert(1) gnp.exe');
    expect(attack.abstract).toBe('Evil text');
    expect(attack.titleOriginal).toContain('<script>');
  });
});
