import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ImportFileError, importSubscribers } from '../../src/admin/import.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { suppressionHash } from '../../src/subscribers/subscribers.queries.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { FormSession } from '../helpers/pages.ts';

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await startHarness();
  dir = mkdtempSync(path.join(tmpdir(), 'paperboy-import-'));
});
afterAll(() => h?.close());

/** Writes `content` (a string or raw bytes) to a CSV file of this test run. */
function csv(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

const rowsOf = async (emails: string[]) =>
  h.db.subscriber.findMany({
    where: { email: { in: emails } },
    include: { topics: true, interests: true, consentEvents: true },
    orderBy: { email: 'asc' },
  });

describe('subscribers import: bad rows are reported by line, good rows are imported', () => {
  test('a UTF-8 BOM, CRLF, quoted fields; invalid, duplicate, unknown topic, bad hour, wrong field count', async () => {
    const file = csv(
      'mixed.csv',
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(
          [
            'Email,topics,interests,delivery_hour,timezone,frequency,max_papers',
            'Good.One@example.com,optimization;graph-neural-networks,"tiny models, on phones",7,Europe/Berlin,weekly,5',
            'not-an-address,optimization,,,,,',
            'good.one@example.com,optimization,,,,,',
            'astro@example.com,astrology,,,,,',
            'late@example.com,optimization,,25,,,',
            'short@example.com,optimization',
            '',
            '"multi@example.com","optimization","one line',
            'and the next",9,UTC,daily,',
            'plain@example.com,,,,,,',
          ].join('\r\n'),
        ),
      ]),
    );
    const result = await importSubscribers(h.deps, { file, confirmed: true });
    expect(result.errors).toEqual([
      { line: 3, email: 'not-an-address', reason: 'email: must be a valid email address' },
      { line: 4, email: 'good.one@example.com', reason: 'duplicate of line 2' },
      { line: 5, email: 'astro@example.com', reason: 'topics: unknown topic "astrology"' },
      { line: 6, email: 'late@example.com', reason: 'delivery_hour: must be a whole hour from 0 to 23' },
      { line: 7, email: 'short@example.com', reason: '2 field(s) where the header has 7' },
    ]);
    expect(result).toMatchObject({ rows: 8, imported: 3, existing: 0, skipped: 0, confirmationsSent: 0 });
    const [good, multi, plain] = await rowsOf([
      'good.one@example.com',
      'multi@example.com',
      'plain@example.com',
    ]);
    expect(good).toMatchObject({
      status: 'active',
      timezone: 'Europe/Berlin',
      deliveryHour: 7,
      frequency: 'weekly',
      maxPapers: 5,
    });
    expect(good?.topics.map((t) => t.topicSlug).sort()).toEqual(['graph-neural-networks', 'optimization']);
    expect(good?.interests.map((i) => `${i.kind}:${i.value}`)).toEqual(['text:tiny models, on phones']);
    expect(multi?.interests.map((i) => i.value)).toEqual(['one line\r\nand the next']);
    // A reader imported without topics keeps the defaults and chooses topics after confirming.
    expect(plain).toMatchObject({ timezone: 'UTC', deliveryHour: 8, frequency: 'daily', maxPapers: 10 });
    expect(plain?.topics).toEqual([]);
    expect(
      await h.db.subscriber.count({ where: { email: { in: ['late@example.com', 'short@example.com'] } } }),
    ).toBe(0);
  });

  test.each([
    ['no email column', 'mail,topics\nx@example.com,optimization\n', /no "email" column/],
    [
      'unknown columns',
      'email,name,Topics,age\nx@example.com,X,optimization,3\n',
      /unknown column\(s\) "name", "age"/,
    ],
    ['a column twice', 'email,topics,topics\nx@example.com,a,b\n', /column\(s\) "topics" more than once/],
    ['an empty file', '', /empty; expected a header row/],
    ['broken quoting', 'email,topics\n"x@example.com"oops,optimization\n', /not valid CSV/],
  ])('a whole-file error (%s) names the problem and imports nothing', async (_name, content, message) => {
    const before = await h.db.subscriber.count();
    const file = csv('bad-file.csv', `${content}`);
    const error = await importSubscribers(h.deps, { file, confirmed: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportFileError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toContain(file);
    expect(await h.db.subscriber.count()).toBe(before);
  });

  test('a CSV error after good rows still imports nothing (the file is checked before any write)', async () => {
    const file = csv('late-break.csv', 'email\nearly@example.com\n"late@example.com"x\n');
    await expect(importSubscribers(h.deps, { file, confirmed: true })).rejects.toThrow(/not valid CSV/);
    expect(await h.db.subscriber.count({ where: { email: 'early@example.com' } })).toBe(0);
  });
});

describe('double opt-in, consent and idempotence', () => {
  test('without --confirmed: pending, one confirmation email each that confirms; a second import changes and sends nothing', async () => {
    const emails = ['opt1@example.com', 'opt2@example.com'];
    const file = csv('optin.csv', `email,topics\n${emails.map((e) => `${e},optimization`).join('\n')}\n`);
    const first = await importSubscribers(h.deps, { file, confirmed: false });
    expect(first).toMatchObject({ imported: 2, existing: 0, confirmationsSent: 2, errors: [] });
    const rows = await rowsOf(emails);
    expect(rows.map((r) => r.status)).toEqual(['pending', 'pending']);
    expect(rows[0]?.consentEvents.map((e) => [e.kind, e.detail])).toEqual([
      ['imported', { file: 'optin.csv', line: 2, confirmed: false, topics: ['optimization'] }],
    ]);
    const mail = await h.sink.waitFor('opt1@example.com');
    expect(mail.email.subject).toBe('Confirm your Paperboy subscription');
    const link = /https?:\/\/\S+\/confirm\?token=\S+/.exec(mail.email.text ?? '')?.[0] ?? '';
    const token = new URL(link).searchParams.get('token') ?? '';
    expect((await new FormSession(h.baseUrl).post('/confirm', { token })).status).toBeLessThan(400);
    expect((await rowsOf(['opt1@example.com']))[0]?.status).toBe('active');

    const sentBefore = h.sink.messages.length;
    const snapshot = await rowsOf(emails);
    const second = await importSubscribers(h.deps, { file, confirmed: false });
    expect(second).toMatchObject({ imported: 0, existing: 2, skipped: 0, confirmationsSent: 0, errors: [] });
    expect(await rowsOf(emails)).toEqual(snapshot);
    expect(h.sink.messages.length).toBe(sentBefore);
    expect(h.sink.to('opt2@example.com')).toHaveLength(1);
  });

  test('--confirmed: active at once, consent recorded as imported with file and line, no email', async () => {
    const file = csv('consented.csv', 'email,topics\nconsented@example.com,optimization\n');
    const result = await importSubscribers(h.deps, { file, confirmed: true });
    expect(result).toMatchObject({ imported: 1, confirmationsSent: 0 });
    const [row] = await rowsOf(['consented@example.com']);
    expect(row?.status).toBe('active');
    expect(row?.confirmedAt).not.toBeNull();
    expect(row?.consentEvents.map((e) => [e.kind, e.detail])).toEqual([
      ['imported', { file: 'consented.csv', line: 2, confirmed: true, topics: ['optimization'] }],
    ]);
    expect(h.sink.to('consented@example.com')).toHaveLength(0);
  });

  test('unsubscribed, bounced, complained and suppressed addresses are never re-activated; existing ones are left alone', async () => {
    const gone = await createSubscriber(h.db, { email: 'gone@example.com', status: 'unsubscribed' });
    const bounced = await createSubscriber(h.db, { email: 'bounced@example.com' });
    await h.db.subscriber.update({ where: { id: bounced.id }, data: { status: 'bounced' } });
    const complained = await createSubscriber(h.db, { email: 'complained@example.com' });
    await h.db.subscriber.update({ where: { id: complained.id }, data: { status: 'complained' } });
    const paused = await createSubscriber(h.db, { email: 'paused@example.com', topics: ['optimization'] });
    await h.db.subscriber.update({ where: { id: paused.id }, data: { status: 'paused', deliveryHour: 5 } });
    await h.db.suppression.create({
      data: { emailHash: suppressionHash('erased@example.com'), reason: 'erased' },
    });
    const file = csv(
      'returning.csv',
      'email,topics,delivery_hour\ngone@example.com,optimization,9\nbounced@example.com,,\ncomplained@example.com,,\nerased@example.com,,\npaused@example.com,graph-neural-networks,9\n',
    );
    for (const confirmed of [false, true]) {
      const result = await importSubscribers(h.deps, { file, confirmed });
      expect(result).toMatchObject({
        imported: 0,
        existing: 1,
        skipped: 4,
        skippedBy: { unsubscribed: 1, bounced: 1, complained: 1, suppressed: 1 },
        confirmationsSent: 0,
        errors: [],
      });
      expect(result.notes).toContainEqual({
        line: 2,
        email: 'gone@example.com',
        reason: 'unsubscribed: not imported',
      });
      expect(result.notes).toContainEqual({
        line: 5,
        email: 'erased@example.com',
        reason: 'suppressed: not imported',
      });
    }
    const rows = await rowsOf([
      'bounced@example.com',
      'complained@example.com',
      'gone@example.com',
      'paused@example.com',
    ]);
    expect(rows.map((r) => [r.email, r.status])).toEqual([
      ['bounced@example.com', 'bounced'],
      ['complained@example.com', 'complained'],
      ['gone@example.com', 'unsubscribed'],
      ['paused@example.com', 'paused'],
    ]);
    expect(rows[3]?.deliveryHour).toBe(5);
    expect(rows[3]?.topics.map((t) => t.topicSlug)).toEqual(['optimization']);
    expect(rows.every((r) => r.consentEvents.length === 0)).toBe(true);
    expect(gone.status).toBe('unsubscribed');
    expect(await h.db.subscriber.count({ where: { email: 'erased@example.com' } })).toBe(0);
    for (const email of [
      'gone@example.com',
      'bounced@example.com',
      'erased@example.com',
      'paused@example.com',
    ])
      expect(h.sink.to(email)).toHaveLength(0);
  });

  test('a confirmation that cannot be sent is reported, and importing again sends it (once)', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const downMailer = createMailer(`smtp://127.0.0.1:${closedPort}`, 'Paperboy <paperboy@test.example>');
    const file = csv('relay-down.csv', 'email\nretry1@example.com\nretry2@example.com\n');
    try {
      const down = await importSubscribers({ ...h.deps, mailer: downMailer }, { file, confirmed: false });
      expect(down).toMatchObject({ imported: 2, confirmationsSent: 0, errors: [] });
      expect(down.confirmationsFailed).toEqual([
        {
          line: 2,
          email: 'retry1@example.com',
          reason: expect.stringMatching(/^confirmation email not sent: /),
        },
        {
          line: 3,
          email: 'retry2@example.com',
          reason: expect.stringMatching(/^confirmation email not sent: /),
        },
      ]);
    } finally {
      downMailer.close();
    }
    const again = await importSubscribers(h.deps, { file, confirmed: false });
    expect(again).toMatchObject({ imported: 0, existing: 2, confirmationsSent: 2, confirmationsFailed: [] });
    await h.sink.waitFor('retry2@example.com');
    const third = await importSubscribers(h.deps, { file, confirmed: false });
    expect(third.confirmationsSent).toBe(0);
    expect(h.sink.to('retry1@example.com')).toHaveLength(1);
  });
});

describe('a large file', () => {
  test('100,000 rows import in batches, and a second run finds them all present', async () => {
    const count = 100_000;
    const lines = ['email,topics,delivery_hour'];
    for (let i = 0; i < count; i++) lines.push(`bulk${i}@example.org,optimization,${i % 24}`);
    const file = csv('large.csv', `${lines.join('\n')}\n`);
    const progress: number[] = [];
    const result = await importSubscribers(h.deps, {
      file,
      confirmed: true,
      onProgress: (done, total) => {
        expect(total).toBe(count);
        progress.push(done);
      },
    });
    expect(result).toMatchObject({ rows: count, imported: count, existing: 0, errors: [] });
    expect(progress.length).toBeGreaterThanOrEqual(100);
    expect(progress.at(-1)).toBe(count);
    expect(await h.db.subscriber.count({ where: { email: { endsWith: '@example.org' } } })).toBe(count);
    expect(
      await h.db.subscriberTopic.count({ where: { subscriber: { email: { endsWith: '@example.org' } } } }),
    ).toBe(count);
    expect(
      await h.db.subscriber.count({ where: { email: 'bulk99999@example.org', deliveryHour: 99_999 % 24 } }),
    ).toBe(1);
    const again = await importSubscribers(h.deps, { file, confirmed: true });
    expect(again).toMatchObject({ imported: 0, existing: count });
  }, 300_000);
});
