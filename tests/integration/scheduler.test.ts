import { afterAll, beforeAll, expect, test } from 'vitest';
import { startScheduler } from '../../jobs/scheduler.ts';
import { createSender } from '../../src/digest/send.ts';
import { memorySource } from '../../src/papers/ingest.ts';
import { ingestSample } from '../../src/papers/sample.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ http: false });
});
afterAll(() => h?.close());

// Every second (node-cron's six-field form), so the test sees several ticks.
const EVERY_SECOND = '* * * * * *';
const schedule = { tickCron: EVERY_SECOND, ingestCron: EVERY_SECOND, timezone: 'UTC', maxLatenessHours: 6 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The scheduler plans; a worker sends. Both run until `stop()`. */
function startScheduling(sources: Parameters<typeof startScheduler>[2] = []) {
  const task = startScheduler(h.deps, schedule, sources);
  const worker = createSender(h.deps);
  const running = worker.run();
  return {
    async stop() {
      await task.stop();
      await worker.stop();
      await running;
    },
  };
}

test('the tick plans a due reader’s digest once, however often it ticks, and a worker sends it', async () => {
  h.setNow(new Date('2026-11-20T08:30:00Z'));
  await ingestSample(h.deps);
  const reader = await createSubscriber(h.db, { topics: ['optimization'] }); // 08:00 UTC, daily
  const task = startScheduling();
  try {
    await h.sink.waitFor(reader.email, undefined, 15_000);
    await sleep(2_500);
  } finally {
    await task.stop();
  }
  expect(h.sink.to(reader.email)).toHaveLength(1);
  expect(await h.db.delivery.count({ where: { subscriberId: reader.id, status: 'sent' } })).toBe(1);
});

test('sources are ingested once per UTC day, so the day’s new papers make the digest of readers due after it', async () => {
  await h.db.paper.deleteMany();
  h.setNow(new Date('2026-11-21T06:00:00Z'));
  const reader = await createSubscriber(h.db, { topics: ['graph-neural-networks'] }); // due at 08:00 UTC
  const title = 'Message passing graph neural networks for tomorrow';
  const source = memorySource('test', [
    { arxivRef: '2611.77777', title, abstract: 'A graph neural network study of message passing.' },
  ]);
  const task = startScheduling([source]);
  try {
    for (let i = 0; i < 50 && (await h.db.paper.count()) === 0; i++) await sleep(200);
    await sleep(2_000); // more ingest cron firings: still one run today
    h.setNow(new Date('2026-11-21T08:00:30Z'));
    const digest = await h.sink.waitFor(reader.email, undefined, 15_000);
    expect(digest.email.text).toContain(title);
  } finally {
    await task.stop();
  }
  expect(await h.db.ingestRun.count({ where: { source: 'test' } })).toBe(1);
});
