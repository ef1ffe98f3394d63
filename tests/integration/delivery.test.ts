import { generateKeyPairSync } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import type { Deps } from '../../src/deps.ts';
import { accountingMismatch, runDigest } from '../../src/digest/run.ts';
import { createSender } from '../../src/digest/send.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { ingestSample } from '../../src/papers/sample.ts';
import { suppressionHash } from '../../src/subscribers/subscribers.queries.ts';
import { createSubscriber, createSubscribers } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { SmtpSink } from '../helpers/smtp-sink.ts';
import { sleep, until } from '../helpers/wait.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ http: false });
});
afterAll(() => h?.close());
beforeEach(async () => {
  await h.db.subscriber.deleteMany();
  await h.db.suppression.deleteMany();
  await h.db.paper.deleteMany();
  h.sink.clear();
  h.setNow(new Date('2026-11-20T08:00:00Z'));
  await ingestSample(h.deps);
});

const plan = () => runDigest(h.deps, { planOnly: true });

/** Deps that send through another relay (a sink the test controls), with the test's clock. */
function depsVia(url: string, extra: Partial<Deps['config']> = {}): Deps & { close(): void } {
  const mailer = createMailer(url, h.deps.config.mailFrom, { maxConnections: 2 });
  return { ...h.deps, mailer, config: { ...h.deps.config, ...extra }, close: () => mailer.close() };
}

test('451 is retried with backoff until it goes through; 550 to RCPT TO is a hard bounce, suppressed at once; always-451 gives up; 554 after DATA fails the message without blaming the address', async () => {
  const greylisted = new Set<string>();
  const sink = await SmtpSink.start({
    refuse: (address) => {
      if (address.startsWith('nouser')) return 550;
      if (address.startsWith('busy')) return 451;
      if (address.startsWith('grey') && !greylisted.has(address)) {
        greylisted.add(address);
        return 451;
      }
      return undefined;
    },
    refuseData: (recipients) => (recipients.some((r) => r.startsWith('spam')) ? 554 : undefined),
  });
  const deps = depsVia(sink.url);
  try {
    const [fine, grey, nouser, busy, spam] = await Promise.all(
      ['fine', 'grey', 'nouser', 'busy', 'spam'].map((name) =>
        createSubscriber(h.db, { email: `${name}@example.com`, topics: ['optimization'] }),
      ),
    );
    await plan();
    // No delay between attempts, so the whole retry story fits in one drain.
    const sender = createSender(deps, { retryBaseMs: 0, maxAttempts: 3 });
    const tally = await sender.drain();
    await sender.stop();

    expect(tally).toMatchObject({ claimed: 5, sent: 2, bounced: 1, failed: 2, deferred: 0 });
    const row = async (id: string | undefined) =>
      h.db.delivery.findFirstOrThrow({
        where: { subscriberId: id },
        select: { status: true, attempts: true, lastError: true },
      });
    expect(await row(fine?.id)).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await row(grey?.id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await row(nouser?.id)).toMatchObject({ status: 'bounced', attempts: 1 });
    expect((await row(nouser?.id)).lastError).toContain('550');
    expect(await row(busy?.id)).toMatchObject({ status: 'failed', attempts: 3 });
    expect((await row(busy?.id)).lastError).toMatch(/gave up after 3 attempts.*451/);
    expect(await row(spam?.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await row(spam?.id)).lastError).toMatch(/^rejected by the relay: 554/);
    expect(await h.db.suppression.count({ where: { emailHash: suppressionHash('spam@example.com') } })).toBe(
      0,
    );
    expect((await h.db.subscriber.findUniqueOrThrow({ where: { id: spam?.id } })).status).toBe('active');

    // The bounced address is suppressed and its reader marked bounced: never mailed again.
    expect(
      await h.db.suppression.count({ where: { emailHash: suppressionHash('nouser@example.com') } }),
    ).toBe(1);
    expect((await h.db.subscriber.findUniqueOrThrow({ where: { id: nouser?.id } })).status).toBe('bounced');
    expect(sink.to('fine@example.com')).toHaveLength(1);
    expect(sink.to('grey@example.com')).toHaveLength(1);
    expect(sink.messages).toHaveLength(2);
  } finally {
    deps.close();
    await sink.close();
  }
});

test('a temporary failure waits out its backoff: the row is planned again, not due until later', async () => {
  const sink = await SmtpSink.start({ refuse: () => 451 });
  const deps = depsVia(sink.url);
  try {
    const reader = await createSubscriber(h.db, { topics: ['optimization'] });
    await plan();
    const sender = createSender(deps, { retryBaseMs: 60_000, maxAttempts: 5 });
    expect(await sender.drain()).toMatchObject({ claimed: 1, deferred: 1, sent: 0 });
    await sender.stop();
    const row = await h.db.delivery.findFirstOrThrow({ where: { subscriberId: reader.id } });
    expect(row).toMatchObject({ status: 'planned', attempts: 1, claimedBy: null });
    // First retry: 60 s ± 50 % after the failure.
    const wait = (row.nextAttemptAt?.getTime() ?? 0) - h.deps.now().getTime();
    expect(wait).toBeGreaterThanOrEqual(30_000);
    expect(wait).toBeLessThanOrEqual(90_000);
  } finally {
    deps.close();
    await sink.close();
  }
});

test('with the relay down the breaker opens and nothing is lost; when it is back, sending resumes by itself', async () => {
  const probe = await SmtpSink.start();
  const port = probe.port;
  await probe.close();
  const deps = depsVia(`smtp://127.0.0.1:${port}`);
  const emails = await createSubscribers(h.db, 20, { topics: ['optimization'] });
  await plan();
  const states: string[] = [];
  const sender = createSender(
    deps,
    { retryBaseMs: 0, maxAttempts: 50, breakerCooldownMs: 500, maxConnections: 2 },
    { onBreaker: (state) => states.push(state) },
  );
  const running = sender.run();
  let sink: SmtpSink | undefined;
  try {
    await until(async () => states.includes('open'));
    expect(await h.db.delivery.count({ where: { status: { in: ['sent', 'failed', 'bounced'] } } })).toBe(0);
    await sleep(1_200); // open, half-open trial fails, open again: still nothing lost
    expect(await h.db.delivery.count({ where: { status: 'planned' } })).toBe(20);

    sink = await SmtpSink.start({ port });
    const relay = sink;
    await until(async () => relay.messages.length >= 20);
    await until(async () => (await h.db.delivery.count({ where: { status: 'sent' } })) === 20);
    expect(states).toContain('closed');
    for (const email of emails) expect(relay.to(email)).toHaveLength(1);
  } finally {
    await sender.stop();
    await running;
    deps.close();
    await sink?.close();
  }
});

test('digest headers: List-Id, Feedback-ID, one-click and mailto unsubscribe, deterministic Message-ID, DKIM over the List headers', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  const mailer = createMailer(h.sink.url, 'Paperboy <digest@papers.example>', {
    dkim: { domainName: 'papers.example', keySelector: 'pb2026', privateKey },
  });
  const deps: Deps = { ...h.deps, mailer };
  try {
    const reader = await createSubscriber(h.db, { topics: ['optimization'] });
    await plan();
    const sender = createSender(deps, {
      listId: 'Paperboy digest <digest.papers.example>',
      unsubscribeMailto: 'unsubscribe@papers.example',
    });
    await sender.drain();
    await sender.stop();
    const [message] = h.sink.to(reader.email);
    const host = new URL(h.deps.config.publicUrl).hostname;
    expect(message?.header('List-Id')).toBe('Paperboy digest <digest.papers.example>');
    expect(message?.header('Feedback-ID')).toBe(`2026-11-20:digest:paperboy:${host}`);
    expect(message?.header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(message?.header('List-Unsubscribe')).toMatch(
      /^<http:\/\/[^>]+\/unsubscribe\?token=[\w.-]+>, <mailto:unsubscribe@papers\.example\?subject=unsubscribe%20[\w.-]+>$/,
    );
    expect(message?.header('Message-ID')).toBe(`<digest.2026-11-20.${reader.id}@${host}>`);

    const signed = message?.header('DKIM-Signature') ?? '';
    const signedHeaders = /\bh=([^;]+)/.exec(signed)?.[1]?.replace(/\s+/g, '').toLowerCase().split(':') ?? [];
    expect(signedHeaders).toEqual(
      expect.arrayContaining(['list-id', 'list-unsubscribe', 'list-unsubscribe-post']),
    );
    const verdict = await dkimVerify(Buffer.from(message?.raw ?? ''), {
      resolver: async (name: string) => {
        if (name !== 'pb2026._domainkey.papers.example')
          throw Object.assign(new Error('no such record'), { code: 'ENOTFOUND' });
        return [[`v=DKIM1; k=rsa; p=${publicKey.toString('base64')}`]];
      },
    });
    expect(verdict.results[0]?.status.result).toBe('pass');
  } finally {
    mailer.close();
  }
});

test('a row left `sending` by a dead worker is sent again after the timeout, with the same Message-ID', async () => {
  const reader = await createSubscriber(h.db, { topics: ['optimization'] });
  await plan();
  // What a worker killed after handing the message to SMTP leaves behind.
  await h.db.delivery.updateMany({
    data: {
      status: 'sending',
      attempts: 1,
      claimedBy: 'dead-worker',
      sendingAt: new Date('2026-11-20T07:40:00Z'),
    },
  });
  const sender = createSender(h.deps, { sendingTimeoutMs: 600_000 });
  // Not yet timed out at 07:45 (5 minutes): the row is left alone.
  h.setNow(new Date('2026-11-20T07:45:00Z'));
  expect(await sender.drain()).toMatchObject({ claimed: 0 });
  h.setNow(new Date('2026-11-20T08:00:00Z'));
  expect(await sender.drain()).toMatchObject({ claimed: 1, sent: 1 });
  await sender.stop();
  const row = await h.db.delivery.findFirstOrThrow({ where: { subscriberId: reader.id } });
  expect(row).toMatchObject({ status: 'sent', attempts: 2 });
  expect(h.sink.to(reader.email)[0]?.header('Message-ID')).toBe(row.messageId);
});

test('a digest nobody sent within MAX_LATENESS_HOURS of planning is dropped, not sent a day late', async () => {
  const reader = await createSubscriber(h.db, { topics: ['optimization'] });
  await plan(); // planned at 08:00; then no worker runs until 15:00
  h.setNow(new Date('2026-11-20T15:00:00Z'));
  const sender = createSender(h.deps, { expireAfterMs: 6 * 3_600_000 });
  expect(await sender.drain()).toMatchObject({ claimed: 0, sent: 0 });
  await sender.stop();
  expect(await h.db.delivery.findFirstOrThrow({ where: { subscriberId: reader.id } })).toMatchObject({
    status: 'skipped',
    lastError: 'expired: not sent within 6 hours of planning',
  });
  expect(h.sink.to(reader.email)).toHaveLength(0);
});

test('the run’s accounting adds up: candidates = sent + skipped + failed + bounced + suppressed + deferred', async () => {
  await createSubscribers(h.db, 5, { topics: ['optimization'] });
  await createSubscriber(h.db, { email: 'nothing@example.com', topics: [], interests: ['zyxwv qwertyuiop'] });
  const suppressed = await createSubscriber(h.db, {
    email: 'suppressed@example.com',
    topics: ['optimization'],
  });
  await h.db.suppression.create({
    data: { emailHash: suppressionHash(suppressed.email), reason: 'complaint' },
  });
  const result = await runDigest(h.deps);
  expect(result).toMatchObject({ candidates: 7, sent: 5, suppressed: 1, skipped: 1, failed: 0, deferred: 0 });
  expect(accountingMismatch(result)).toBe(0);
  expect(h.sink.to(suppressed.email)).toHaveLength(0);
});

test('stopping a worker mid-batch finishes what is in flight and leaves no row claimed or sending', async () => {
  await createSubscribers(h.db, 60, { topics: ['optimization'] });
  await plan();
  const sender = createSender(h.deps, { batchSize: 50, maxConnections: 2 });
  const running = sender.run();
  await until(async () => h.sink.messages.length >= 5);
  await sender.stop();
  await running;
  const left = await h.db.delivery.count({
    where: { OR: [{ status: 'sending' }, { claimedBy: { not: null } }] },
  });
  expect(left).toBe(0);
  const sent = await h.db.delivery.count({ where: { status: 'sent' } });
  expect(sent).toBe(h.sink.messages.length);
  expect(sent).toBeLessThan(60);
  // Another worker picks up the rest at once: the claims were given back, not left to expire.
  const next = createSender(h.deps);
  expect(await next.drain()).toMatchObject({ sent: 60 - sent });
  await next.stop();
});
