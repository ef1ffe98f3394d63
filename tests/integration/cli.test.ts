import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createSubscriber } from '../helpers/factories.ts';
import { FixtureServer, send } from '../helpers/fixture-server.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { paperboy } from '../helpers/run-cli.ts';

describe('bad input to the CLI: one line naming the problem, non-zero exit', () => {
  test('a malformed --date', async () => {
    const result = await paperboy(['digest', 'run', '--date', '2026-13-45']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/expected a date as YYYY-MM-DD/);
  });

  test('a bad configuration value names the variable', async () => {
    const result = await paperboy(['migrate'], { PORT: 'eighty' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^paperboy: config: PORT /)]);
  });

  test('ingest with a file but no format, or an unknown source', async () => {
    const noFormat = await paperboy(['ingest', '--file', 'papers.json']);
    expect(noFormat.status).toBe(2);
    expect(noFormat.stderr.trim()).toBe('paperboy: --file PATH and --format hf|arxiv|jsonl go together');
    const unknown = await paperboy(['ingest', '--source', 'twitter']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/argument 'twitter' is invalid.*huggingface, arxiv, arxiv-rss, file/);
  });

  test('an unknown command', async () => {
    const result = await paperboy(['frobnicate']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown command 'frobnicate'/);
  });

  test('--help works', async () => {
    for (const command of [[], ['digest', 'run']]) {
      const result = await paperboy([...command, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: paperboy/);
    }
  });
});

describe('against the test database and SMTP sink', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ http: false });
  });
  afterAll(() => h?.close());

  test.runIf(inject('database').kind === 'postgres')(
    'ingest --sample then digest run --json sends, and a second run sends nothing',
    async () => {
      const env = { DATABASE_URL: h.testDatabase.url ?? '', SMTP_URL: h.sink.url };
      const reader = await createSubscriber(h.db, { topics: ['optimization'] });
      const ingest = await paperboy(['ingest', '--sample', '--json'], env);
      expect(ingest.status).toBe(0);
      expect(JSON.parse(ingest.stdout)).toMatchObject({ source: 'sample', fetched: 119, created: 119 });
      const first = await paperboy(['digest', 'run', '--json'], env);
      expect(first.status).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ planned: 1, sent: 1, failed: 0 });
      const second = await paperboy(['digest', 'run', '--json'], env);
      expect(JSON.parse(second.stdout)).toMatchObject({ planned: 0, sent: 0 });
      expect(h.sink.to(reader.email)).toHaveLength(1);
    },
  );
});

describe('rank: no database, one-line errors', () => {
  const hf = fileURLToPath(new URL('../fixtures/sources/hf-daily-papers-p0.json', import.meta.url));

  test('--json prints the ranked papers with scores and reasons, in rank order', async () => {
    const result = await paperboy([
      'rank',
      '--papers',
      hf,
      '--topic',
      'graph-neural-networks',
      '--limit',
      '5',
      '--json',
    ]);
    expect(result.status, result.stderr).toBe(0);
    const ranked = JSON.parse(result.stdout) as {
      id: string;
      title: string;
      score: number;
      relevance: number;
      trending: number;
      why: string;
    }[];
    expect(ranked).toHaveLength(5);
    expect(Object.keys(ranked[0] ?? {})).toEqual(['id', 'title', 'score', 'relevance', 'trending', 'why']);
    // Rank order is the diversified order (MMR), so scores need not fall monotonically.
    expect(
      ranked.every((r) => r.relevance > 0 && r.relevance <= 1 && r.trending >= 0 && r.trending <= 1),
    ).toBe(true);
    for (const r of ranked) expect(`${r.title} ${r.why}`).toMatch(/graph|GNN|GCN/i);
  });

  test.each([
    [['--topic', 'astrology'], /^paperboy: unknown topic astrology/],
    [['--interest', ' '], /^paperboy: --interest must not be empty$/],
    [[], /^paperboy: say what to rank for/],
  ])('bad preferences %j', async (args, message) => {
    const result = await paperboy(['rank', '--papers', hf, ...args]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(message);
  });

  test('a missing or malformed file', async () => {
    const missing = await paperboy([
      'rank',
      '--papers',
      '/nonexistent/papers.json',
      '--topic',
      'optimization',
    ]);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe('paperboy: /nonexistent/papers.json: no such file');
    const broken = path.join(mkdtempSync(path.join(tmpdir(), 'paperboy-rank-')), 'broken.json');
    writeFileSync(broken, '[{"paper": {"id": "2611.1"');
    const malformed = await paperboy(['rank', '--papers', broken, '--topic', 'optimization']);
    expect(malformed.status).toBe(2);
    expect(malformed.stderr.trim()).toMatch(/^paperboy: .*broken\.json: not valid JSON/);
  });
});

describe('ingest from sources', () => {
  let h: Harness;
  let server: FixtureServer;
  beforeAll(async () => {
    h = await startHarness({ http: false });
    server = await FixtureServer.start();
    server.route('/api/daily_papers', (req, res) =>
      send(
        res,
        req,
        readFileSync(
          new URL(`../fixtures/sources/hf-daily-papers-p${req.query.get('p')}.json`, import.meta.url),
          'utf8',
        ),
        'application/json',
      ),
    );
  });
  afterAll(async () => {
    await server?.close();
    await h?.close();
  });

  test.runIf(inject('database').kind === 'postgres')(
    '--source huggingface --date loads a day; running it again creates nothing',
    async () => {
      const env = { DATABASE_URL: h.testDatabase.url ?? '', HF_API_URL: server.url };
      const first = await paperboy(
        ['ingest', '--source', 'huggingface', '--date', '2026-11-27', '--json'],
        env,
      );
      expect(first.status, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({
        source: 'huggingface',
        fetched: 119,
        created: 119,
        updated: 0,
        skipped: 0,
        errors: 0,
      });
      const second = await paperboy(
        ['ingest', '--source', 'huggingface', '--date', '2026-11-27', '--json'],
        env,
      );
      expect(JSON.parse(second.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 119 });
      expect(server.seen('/api/daily_papers')[0]?.query.get('date')).toBe('2026-11-27');
    },
  );

  test.runIf(inject('database').kind === 'postgres')(
    '--file with bad records stores the good ones and exits 3',
    async () => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'paperboy-file-')), 'papers.jsonl');
      writeFileSync(
        file,
        [
          JSON.stringify({
            id: 'arXiv:2611.55501v2',
            title: 'Good paper',
            abstract: 'Good abstract.',
            authors: ['A. Author'],
          }),
          JSON.stringify({ title: 'No abstract' }),
          '{broken',
        ].join('\n'),
      );
      const result = await paperboy(['ingest', '--file', file, '--format', 'jsonl', '--json'], {
        DATABASE_URL: h.testDatabase.url ?? '',
      });
      expect(result.status).toBe(3);
      expect(JSON.parse(result.stdout)).toMatchObject({
        source: 'file',
        fetched: 3,
        created: 1,
        skipped: 2,
        skippedBy: { 'missing abstract': 1, 'unreadable entry': 1 },
      });
      expect(await h.db.paper.findUnique({ where: { id: '2611.55501' } })).toMatchObject({
        title: 'Good paper',
        authors: ['A. Author'],
      });
    },
  );
});

test('npm run demo works on the embedded defaults, and a second run duplicates nothing', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paperboy-demo-'));
  const first = await paperboy(['demo'], { DATA_DIR: dataDir });
  expect(first.status, first.stderr).toBe(0);
  for (const email of ['ada@example.com', 'grace@example.com', 'alan@example.com']) {
    expect(first.stdout).toMatch(new RegExp(`${email}.*\\b10\\b.*sent`));
  }
  const emlFiles = first.stdout.match(/\/\S+\.eml/g) ?? [];
  expect(emlFiles).toHaveLength(3);
  for (const file of emlFiles) expect(existsSync(file)).toBe(true);
  expect(first.stdout).toContain('/outbox');

  const second = await paperboy(['demo'], { DATA_DIR: dataDir });
  expect(second.status, second.stderr).toBe(0);
  expect(second.stdout).toContain('sent 0 now');
  expect(readdirSync(path.join(dataDir, 'outbox'))).toHaveLength(3);
});
