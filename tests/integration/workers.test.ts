import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { startScheduler } from '../../jobs/scheduler.ts';
import { type Database, openDatabase } from '../../src/db.ts';
import type { Deps } from '../../src/deps.ts';
import { runDigest } from '../../src/digest/run.ts';
import { createSender } from '../../src/digest/send.ts';
import { createLogger } from '../../src/log.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { ingestSample } from '../../src/papers/sample.ts';
import { createSubscribers } from '../helpers/factories.ts';
import { type Harness, startHarness, TEST_SECRET } from '../helpers/harness.ts';
import { SmtpSink } from '../helpers/smtp-sink.ts';
import { sleep, until } from '../helpers/wait.ts';

const BIN = fileURLToPath(new URL('../../bin/paperboy.js', import.meta.url));

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ http: false });
  if (!h.testDatabase.url)
    throw new Error('these tests need PostgreSQL: several processes share one database');
});
afterAll(() => h?.close());
beforeEach(async () => {
  await h.db.subscriber.deleteMany();
  await h.db.paper.deleteMany();
  h.sink.clear();
});

/** A real `paperboy worker` process on this test's database, sending to `sink`; its stderr is kept. */
function spawnWorker(sink: SmtpSink, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, 'worker'], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'paperboy-worker-')),
      DATABASE_URL: h.testDatabase.url ?? '',
      SMTP_URL: sink.url,
      SECRET_KEY: TEST_SECRET,
      PUBLIC_URL: h.deps.config.publicUrl,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output.slice(-2000) || '(nothing)' };
}

/** Each emails' count of messages received, from the sink. */
function receivedPerReader(sink: SmtpSink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of sink.messages)
    for (const to of message.rcptTo) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

/** A separate "process" in this one: its own connection pool (so its own advisory-lock sessions) and SMTP pool. */
async function node(): Promise<{ deps: Deps; database: Database; close(): Promise<void> }> {
  const database = await openDatabase(h.testDatabase.url, '');
  const mailer = createMailer(h.sink.url, h.deps.config.mailFrom, { maxConnections: 3 });
  const deps: Deps = {
    ...h.deps,
    db: database.prisma,
    mailer,
    log: createLogger('silent', 2),
    now: () => new Date(),
  };
  return {
    deps,
    database,
    async close() {
      mailer.close();
      await database.close();
    },
  };
}

test('two schedulers and two workers on one database, 2,000 readers: every reader gets exactly one email', async () => {
  const now = new Date();
  h.setNow(now);
  await ingestSample(h.deps); // first seen now: today's candidates
  const emails = await createSubscribers(h.db, 2_000, {
    topics: ['optimization', 'transformers'],
    deliveryHour: now.getUTCHours(), // due at this tick, whatever the hour the suite runs
  });
  const nodes = await Promise.all([node(), node()]);
  const locks = { ran: 0, skipped: 0 };
  const schedule = { tickCron: '* * * * * *', ingestCron: '0 0 1 1 *', timezone: 'UTC', maxLatenessHours: 6 };
  const schedulers = nodes.map(({ deps, database }) =>
    startScheduler(deps, schedule, [], async (key, fn) => {
      const ran = await database.runExclusive(key, fn);
      locks[ran ? 'ran' : 'skipped']++;
      return ran;
    }),
  );
  const workers = nodes.map(({ deps }) => createSender(deps, { batchSize: 50 }));
  const running = workers.map((worker) => worker.run());
  try {
    await until(() => h.sink.messages.length >= 2_000, 120_000, 'all 2,000 digests');
    await sleep(3_000); // more ticks and polls: nothing more may arrive
  } finally {
    for (const scheduler of schedulers) await scheduler.stop();
    for (const worker of workers) await worker.stop();
    await Promise.all(running);
    for (const n of nodes) await n.close();
  }
  const counts = receivedPerReader(h.sink);
  expect(h.sink.messages).toHaveLength(2_000);
  expect(emails.every((email) => counts.get(email) === 1)).toBe(true);
  expect(await h.db.delivery.count({ where: { status: 'sent' } })).toBe(2_000);
  expect(locks.ran).toBeGreaterThan(0);
}, 180_000);

test('a worker killed with SIGKILL mid-run and started again: nobody is skipped, duplicates only from rows it left `sending`', async () => {
  // The worker runs on the real clock, and so must the plan: rows planned hours ago expire.
  h.setNow(new Date());
  await ingestSample(h.deps);
  const emails = await createSubscribers(h.db, 1_000, { topics: ['optimization'] });
  expect(await runDigest(h.deps, { planOnly: true })).toMatchObject({ planned: 1_000 });
  // A relay that takes a moment per message, so the kill lands mid-run.
  const sink = await SmtpSink.start({ delayMs: 15 });
  const connections = 4;
  const env = {
    SMTP_MAX_CONNECTIONS: String(connections),
    WORKER_BATCH_SIZE: '25',
    SENDING_TIMEOUT_SECONDS: '2',
  };
  try {
    const { child: first, output } = spawnWorker(sink, env);
    await until(() => sink.messages.length >= 250, 90_000, 'the first worker sending').catch(
      (error: Error) => {
        throw new Error(`${error.message}; the worker said: ${output()}`);
      },
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    await sleep(300); // bytes already on the wire land
    const inDoubt = await h.db.delivery.findMany({
      where: { status: 'sending' },
      select: { subscriberId: true },
    });
    const receivedBeforeRestart = new Set(sink.messages.map((m) => m.rcptTo[0]));
    const idToEmail = new Map(
      (await h.db.subscriber.findMany({ select: { id: true, email: true } })).map((s) => [s.id, s.email]),
    );
    // Rows `sending` whose message the relay already has are the documented window: sent again.
    const expectedDuplicates = inDoubt.filter((row) =>
      receivedBeforeRestart.has(idToEmail.get(row.subscriberId) ?? ''),
    ).length;
    expect(inDoubt.length).toBeLessThanOrEqual(connections);
    expect(sink.messages.length).toBeLessThan(1_000);

    const { child: second } = spawnWorker(sink, env);
    try {
      await until(
        async () => (await h.db.delivery.count({ where: { status: 'sent' } })) === 1_000,
        90_000,
        'the second worker finishing',
      );
    } finally {
      second.kill('SIGTERM');
      await new Promise((resolve) => second.once('exit', resolve));
    }
    const counts = receivedPerReader(sink);
    expect(emails.filter((email) => (counts.get(email) ?? 0) === 0)).toEqual([]);
    const duplicates = sink.messages.length - 1_000;
    expect(duplicates).toBe(expectedDuplicates);
    // A duplicate is recognisable: the same Message-ID as the first copy.
    const ids = new Map<string, Set<string>>();
    for (const m of sink.messages)
      ids.set(m.rcptTo[0] ?? '', (ids.get(m.rcptTo[0] ?? '') ?? new Set()).add(m.email.messageId ?? ''));
    expect([...ids.values()].every((set) => set.size === 1)).toBe(true);
  } finally {
    await sink.close();
  }
}, 180_000);

test('SIGTERM to a worker mid-run: it finishes the messages in flight, records them, and leaves nothing claimed or sending', async () => {
  h.setNow(new Date());
  await ingestSample(h.deps);
  await createSubscribers(h.db, 600, { topics: ['optimization'] });
  await runDigest(h.deps, { planOnly: true });
  const sink = await SmtpSink.start({ delayMs: 20 });
  try {
    const { child: worker } = spawnWorker(sink, { WORKER_BATCH_SIZE: '50' });
    await until(() => sink.messages.length >= 100, 90_000, 'the worker sending');
    worker.kill('SIGTERM');
    const code = await new Promise((resolve) => worker.once('exit', resolve));
    expect(code).toBe(0);
    expect(
      await h.db.delivery.count({ where: { OR: [{ status: 'sending' }, { claimedBy: { not: null } }] } }),
    ).toBe(0);
    // Every message the relay took is recorded sent; the rest wait, planned, for the next worker.
    expect(await h.db.delivery.count({ where: { status: 'sent' } })).toBe(sink.messages.length);
    expect(await h.db.delivery.count({ where: { status: 'planned' } })).toBe(600 - sink.messages.length);
  } finally {
    await sink.close();
  }
}, 180_000);
