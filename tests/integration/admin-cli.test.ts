import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { importSubscribers } from '../../src/admin/import.ts';
import { runDigest } from '../../src/digest/run.ts';
import { suppressionHash } from '../../src/subscribers/subscribers.queries.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { seedSamplePapers } from '../helpers/pages.ts';
import { paperboy } from '../helpers/run-cli.ts';

const onPostgres = inject('database').kind === 'postgres';
let h: Harness;
let dir: string;
let env: Record<string, string>;
beforeAll(async () => {
  h = await startHarness({ http: false });
  dir = mkdtempSync(path.join(tmpdir(), 'paperboy-admin-cli-'));
  env = {
    DATABASE_URL: h.testDatabase.url ?? '',
    SMTP_URL: h.sink.url,
    PUBLIC_URL: 'https://paperboy.example',
  };
});
afterAll(() => h?.close());

const file = (name: string, content: string) => {
  const at = path.join(dir, name);
  writeFileSync(at, content);
  return at;
};
const oneLine = (text: string) => text.trim().split('\n');

test('every admin command has --help', async () => {
  const commands = [
    ['subscribers', 'import'],
    ['subscribers', 'export'],
    ['subscribers', 'remove'],
    ['stats'],
    ['preview'],
    ['send-test'],
  ];
  const runs = await Promise.all(commands.map((command) => paperboy([...command, '--help'])));
  runs.forEach((run, i) => {
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: paperboy ${(commands[i] ?? []).join(' ')}`));
  });
});

describe.runIf(onPostgres)('subscribers import', () => {
  test('bad rows: exit 3, a summary line and an error line each; good rows are imported and confirmed by email', async () => {
    const csv = file(
      'cli-import.csv',
      'email,topics,delivery_hour\ncli1@example.com,optimization,6\nnope,optimization,6\ncli2@example.com,optimization,30\n',
    );
    const run = await paperboy(['subscribers', 'import', csv], env);
    expect(run.status, run.stderr).toBe(3);
    expect(oneLine(run.stdout)).toEqual([
      'imported 1, already present 0, skipped 0, errors 2; confirmation emails sent 1',
      'error: line 3 nope: email: must be a valid email address',
      'error: line 4 cli2@example.com: delivery_hour: must be a whole hour from 0 to 23',
    ]);
    const mail = await h.sink.waitFor('cli1@example.com');
    expect(mail.email.subject).toBe('Confirm your Paperboy subscription');
    expect(mail.email.text).toContain('https://paperboy.example/confirm?token=');

    const again = await paperboy(['subscribers', 'import', csv, '--json'], env);
    expect(again.status).toBe(3);
    const result = JSON.parse(again.stdout);
    expect(Object.keys(result).sort()).toEqual(
      [
        'confirmationsFailed',
        'confirmationsSent',
        'errors',
        'existing',
        'imported',
        'notes',
        'rows',
        'skipped',
        'skippedBy',
      ].sort(),
    );
    expect(result).toMatchObject({ rows: 3, imported: 0, existing: 1, skipped: 0, confirmationsSent: 0 });
    expect(result.errors).toEqual([
      { line: 3, email: 'nope', reason: 'email: must be a valid email address' },
      { line: 4, email: 'cli2@example.com', reason: 'delivery_hour: must be a whole hour from 0 to 23' },
    ]);
    expect(h.sink.to('cli1@example.com')).toHaveLength(1);
  });

  test('a clean file exits 0; wrong columns or a missing file: one line and exit 2', async () => {
    const wrong = file('wrong.csv', 'mail,name\nx@example.com,X\n');
    const [clean, columns, missing] = await Promise.all([
      paperboy(
        ['subscribers', 'import', file('clean.csv', 'email\nclean@example.com\n'), '--confirmed'],
        env,
      ),
      paperboy(['subscribers', 'import', wrong], env),
      paperboy(['subscribers', 'import', path.join(dir, 'absent.csv')], env),
    ]);
    expect(clean.status, clean.stderr).toBe(0);
    expect(clean.stdout.trim()).toBe(
      'imported 1, already present 0, skipped 0, errors 0; confirmation emails sent 0',
    );
    expect(columns.status).toBe(2);
    expect(oneLine(columns.stderr)).toEqual([
      `paperboy: ${wrong}: no "email" column; unknown column(s) "mail", "name" in the header row (columns: email, topics, interests, authors, excludes, timezone, delivery_hour, frequency, delivery_weekday, max_papers)`,
    ]);
    expect(missing.status).toBe(2);
    expect(oneLine(missing.stderr)).toEqual([`paperboy: ${path.join(dir, 'absent.csv')}: no such file`]);
  });
});

describe.runIf(onPostgres)('subscribers export', () => {
  let other: TestDatabase;
  beforeAll(async () => {
    other = await createTestDatabase(inject('database'));
  });
  afterAll(() => other?.drop());

  test('export → import into another database → export gives the same file', async () => {
    const source = file(
      'round-trip.csv',
      [
        'email,topics,interests,authors,excludes,timezone,delivery_hour,frequency,delivery_weekday,max_papers',
        'rt1@example.com,optimization;graph-neural-networks,"tiny models, on phones;sparse attention",Ada Lovelace,survey,Asia/Kolkata,6,weekly,4,25',
        'rt2@example.com,,,,,UTC,8,daily,1,10',
        'rt3@example.com,efficient-ml,"quotes ""inside""",,,Pacific/Chatham,23,weekdays,1,3',
      ].join('\n'),
    );
    await importSubscribers(h.deps, { file: source, confirmed: true });
    const first = path.join(dir, 'export-1.csv');
    const exported = await paperboy(['subscribers', 'export', '--out', first], env);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^wrote \d+ subscriber\(s\) to /);
    const otherEnv = { ...env, DATABASE_URL: other.url ?? '' };
    const imported = await paperboy(['subscribers', 'import', first, '--confirmed', '--json'], otherEnv);
    expect(imported.status, imported.stderr).toBe(0);
    const second = await paperboy(['subscribers', 'export'], otherEnv);
    expect(second.status).toBe(0);
    const sorted = (text: string) => {
      const [header, ...rows] = text.trim().split('\n');
      return [header, ...rows.sort()];
    };
    expect(sorted(second.stdout)).toEqual(sorted(readFileSync(first, 'utf8')));
    const rows = sorted(second.stdout).filter((line) => line?.startsWith('rt'));
    expect(rows).toEqual([
      'rt1@example.com,graph-neural-networks; optimization,"sparse attention; tiny models, on phones",Ada Lovelace,survey,Asia/Kolkata,6,weekly,4,25',
      'rt2@example.com,,,,,UTC,8,daily,1,10',
      'rt3@example.com,efficient-ml,"quotes ""inside""",,,Pacific/Chatham,23,weekdays,1,3',
    ]);
  });

  test('--status filters; an unknown status is a usage error', async () => {
    const reader = await createSubscriber(h.db, { email: 'quiet@example.com', status: 'unsubscribed' });
    const [active, gone, bad] = await Promise.all([
      paperboy(['subscribers', 'export'], env),
      paperboy(['subscribers', 'export', '--status', 'unsubscribed'], env),
      paperboy(['subscribers', 'export', '--status', 'asleep'], env),
    ]);
    expect(active.stdout).not.toContain(reader.email);
    expect(oneLine(gone.stdout)).toEqual([
      expect.stringMatching(/^email,topics,/),
      expect.stringMatching(/^quiet@/),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/argument 'asleep' is invalid/);
  });
});

describe.runIf(onPostgres)('subscribers remove', () => {
  test('erases the reader and everything about them, keeping only the hash on the suppression list', async () => {
    const reader = await createSubscriber(h.db, { email: 'leaving@example.com' });
    await h.db.consentEvent.create({ data: { subscriberId: reader.id, kind: 'subscribe' } });
    await h.db.delivery.create({ data: { subscriberId: reader.id, digestDate: new Date('2026-01-02') } });
    const run = await paperboy(['subscribers', 'remove', 'Leaving@Example.com', '--json'], env);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ removed: 'leaving@example.com', suppressed: true });
    expect(await h.db.subscriber.count({ where: { email: 'leaving@example.com' } })).toBe(0);
    expect(await h.db.delivery.count({ where: { subscriberId: reader.id } })).toBe(0);
    expect(await h.db.consentEvent.count({ where: { subscriberId: reader.id } })).toBe(0);
    expect(
      await h.db.suppression.count({ where: { emailHash: suppressionHash('leaving@example.com') } }),
    ).toBe(1);

    const [again, unknown, invalid] = await Promise.all([
      paperboy(['subscribers', 'remove', 'leaving@example.com'], env),
      paperboy(['subscribers', 'remove', 'never@example.com'], env),
      paperboy(['subscribers', 'remove', 'not an address'], env),
    ]);
    expect(again.status).toBe(1);
    expect(oneLine(again.stderr)).toEqual([
      'paperboy: no subscriber with that address (it is on the suppression list)',
    ]);
    expect([unknown.status, unknown.stderr.trim()]).toEqual([1, 'paperboy: no subscriber with that address']);
    expect([invalid.status, invalid.stderr.trim()]).toEqual([
      2,
      'paperboy: EMAIL must be a valid email address',
    ]);
  });
});

describe.runIf(onPostgres)('stats', () => {
  let own: TestDatabase;
  beforeAll(async () => {
    own = await createTestDatabase(inject('database'));
  });
  afterAll(() => own?.drop());

  test('subscribers by status, 14 days of digests including empty days, bounce and complaint rates', async () => {
    const db = own.database.prisma;
    const day = (back: number) => {
      const today = new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
      return new Date(today.getTime() - back * 86_400_000);
    };
    const readers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => createSubscriber(db, { email: `stats${i}@example.com` })),
    );
    await db.subscriber.update({ where: { id: readers[6]?.id }, data: { status: 'complained' } });
    await db.subscriber.update({ where: { id: readers[7]?.id }, data: { status: 'bounced' } });
    await db.subscriber.create({ data: { email: 'waiting@example.com' } });
    const deliveries: [number, number, 'sent' | 'bounced' | 'failed' | 'skipped' | 'planned'][] = [
      [0, 0, 'sent'],
      [1, 0, 'sent'],
      [2, 0, 'planned'],
      [0, 3, 'sent'],
      [1, 3, 'failed'],
      [7, 3, 'bounced'],
      [0, 13, 'sent'],
      [1, 13, 'skipped'],
      [0, 20, 'sent'], // in the 30-day rate, not in the 14-day table
      [7, 20, 'bounced'],
      [0, 40, 'bounced'], // in neither
    ];
    for (const [reader, back, status] of deliveries)
      await db.delivery.create({
        data: { subscriberId: readers[reader]?.id ?? '', digestDate: day(back), status },
      });
    const ownEnv = { ...env, DATABASE_URL: own.url ?? '' };
    const [run, text] = await Promise.all([
      paperboy(['stats', '--json'], ownEnv),
      paperboy(['stats'], ownEnv),
    ]);
    expect(run.status, run.stderr).toBe(0);
    const stats = JSON.parse(run.stdout);
    expect(stats.subscribers).toEqual({
      pending: 1,
      active: 6,
      paused: 0,
      unsubscribed: 0,
      bounced: 1,
      complained: 1,
      total: 9,
    });
    const iso = (back: number) => day(back).toISOString().slice(0, 10);
    expect(stats.digests).toHaveLength(14);
    expect(stats.digests[0].date).toBe(iso(13));
    expect(stats.digests[13]).toEqual({
      date: iso(0),
      planned: 1,
      sending: 0,
      sent: 2,
      failed: 0,
      bounced: 0,
      skipped: 0,
    });
    expect(stats.digests[10]).toMatchObject({ date: iso(3), sent: 1, failed: 1, bounced: 1 });
    expect(stats.digests[0]).toMatchObject({ sent: 1, skipped: 1 });
    expect(stats.digests[5]).toMatchObject({ date: iso(8), sent: 0, failed: 0, bounced: 0, skipped: 0 });
    // Last 30 days: sent 5, bounced 2 → 2/7; complained 1 of 8 who confirmed.
    expect(stats.rates).toEqual({
      days: 30,
      sent: 5,
      bounced: 2,
      bounceRate: 2 / 7,
      complained: 1,
      confirmed: 8,
      complaintRate: 1 / 8,
    });
    expect(text.stdout).toContain(
      'subscribers: 9 (pending 1, active 6, paused 0, unsubscribed 0, bounced 1, complained 1)',
    );
    expect(text.stdout).toContain('bounce rate (last 30 days): 28.57% (2 bounced, 5 sent)');
    expect(text.stdout).toContain('complaint rate: 12.50% (1 complained of 8 confirmed)');
  });
});

describe.runIf(onPostgres)('preview', () => {
  beforeAll(() => seedSamplePapers(h.db, new Date()));

  test('the HTML the reader would get today, with their top paper, and nothing written', async () => {
    const reader = await createSubscriber(h.db, { email: 'preview@example.com', topics: ['optimization'] });
    const plan = await runDigest(h.deps, { dryRun: true });
    const top = plan.rows.find((row) => row.subscriberId === reader.id)?.topPaper ?? '';
    expect(top).not.toBe('');
    const counts = async () =>
      Promise.all([
        h.db.delivery.findMany(),
        h.db.consentEvent.count(),
        h.db.subscriber.findUniqueOrThrow({ where: { id: reader.id } }),
      ]);
    const before = await counts();
    const out = path.join(dir, 'preview.html');
    const run = await paperboy(['preview', '--email', 'preview@example.com', '--out', out], env);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^wrote .*preview\.html: \d{4}-\d\d-\d\d, \d+ paper\(s\), ranked from \d+ candidate/,
    );
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain(Handlebars.escapeExpression(top));
    expect(html).toContain(Handlebars.escapeExpression('https://paperboy.example/unsubscribe?token='));
    expect(await counts()).toEqual(before);

    const stdout = await paperboy(['preview', '--email', 'preview@example.com'], env);
    expect(stdout.stdout).toContain(Handlebars.escapeExpression(top));
    expect(stdout.stderr).toMatch(/^paperboy: preview /);
  });

  test('a stored delivery is shown as it was planned; no papers that day; unknown and invalid addresses', async () => {
    const reader = await createSubscriber(h.db, { email: 'stored@example.com', topics: ['optimization'] });
    const papers = await h.db.paper.findMany({ orderBy: { id: 'desc' }, take: 2 });
    const delivery = await h.db.delivery.create({
      data: {
        subscriberId: reader.id,
        digestDate: new Date('2026-03-04'),
        status: 'sent',
        sentAt: new Date(),
        paperIds: papers.map((paper) => paper.id),
        paperWhys: papers.map(() => 'chosen by hand'),
      },
    });
    const out = path.join(dir, 'empty.html');
    const [run, empty, unknown, invalid] = await Promise.all([
      paperboy(['preview', '--email', 'stored@example.com', '--date', '2026-03-04'], env),
      paperboy(['preview', '--email', 'stored@example.com', '--date', '2020-01-01', '--out', out], env),
      paperboy(['preview', '--email', 'nobody@example.com'], env),
      paperboy(['preview', '--email', 'nobody'], env),
    ]);
    expect(run.status, run.stderr).toBe(0);
    for (const paper of papers) expect(run.stdout).toContain(Handlebars.escapeExpression(paper.title));
    expect(run.stdout).toContain(Handlebars.escapeExpression(`/digest/${delivery.id}?token=`));
    expect(run.stderr).toContain('2 paper(s), their sent delivery');

    expect(empty.status).toBe(0);
    expect(oneLine(empty.stderr)).toEqual([
      expect.stringMatching(/^paperboy: no digest for stored@example.com on 2020-01-01/),
    ]);
    expect(existsSync(out)).toBe(false);

    expect([unknown.status, unknown.stderr.trim()]).toEqual([1, 'paperboy: no subscriber with that address']);
    expect([invalid.status, invalid.stderr.trim()]).toEqual([
      2,
      'paperboy: --email must be a valid email address',
    ]);
  });
});

describe.runIf(onPostgres)('send-test', () => {
  test('a sample digest through the configured relay, links to PUBLIC_URL only, nothing stored', async () => {
    const before = await Promise.all([h.db.subscriber.count(), h.db.delivery.count()]);
    const run = await paperboy(['send-test', '--to', 'Operator@Example.com'], env);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^sent to operator@example\.com via smtp:\/\/127\.0\.0\.1:\d+: 250 /);
    const mail = await h.sink.waitFor('operator@example.com');
    expect(mail.email.subject).toMatch(/^\[test\] 5 trending papers for you: /);
    const links = [...(mail.email.html ?? '').matchAll(/href="(https:\/\/paperboy\.example[^"]*)"/g)].map(
      (m) => m[1],
    );
    expect(links.length).toBeGreaterThanOrEqual(3);
    expect(new Set(links)).toEqual(new Set(['https://paperboy.example']));
    expect(mail.header('List-Unsubscribe')).toBe('<https://paperboy.example>');
    expect(await Promise.all([h.db.subscriber.count(), h.db.delivery.count()])).toEqual(before);

    const invalid = await paperboy(['send-test', '--to', 'nobody'], env);
    expect([invalid.status, invalid.stderr.trim()]).toEqual([
      2,
      'paperboy: --to must be a valid email address',
    ]);
  });
});
