import { afterAll, beforeAll, expect, test } from 'vitest';
import { startScheduler } from '../../jobs/scheduler.ts';
import { memorySource } from '../../src/papers/ingest.ts';
import { ingestSample } from '../../src/papers/sample.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ http: false });
});
afterAll(() => h?.close());

test('the scheduler sends the day’s digest at DIGEST_CRON, once however often it ticks', async () => {
  await ingestSample(h.deps);
  const reader = await createSubscriber(h.db, { topics: ['optimization'] });
  // Every second (node-cron's six-field form), so the test sees several ticks.
  const task = startScheduler(h.deps, { cron: '* * * * * *', timezone: 'UTC' });
  try {
    await h.sink.waitFor(reader.email, undefined, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
  } finally {
    await task.stop();
  }
  expect(h.sink.to(reader.email)).toHaveLength(1);
  expect(await h.db.delivery.count({ where: { subscriberId: reader.id, status: 'sent' } })).toBe(1);
});

test('a tick ingests the configured sources before it plans, so the day’s new papers make that day’s digest', async () => {
  await h.db.paper.deleteMany();
  const reader = await createSubscriber(h.db, { topics: ['graph-neural-networks'] });
  const title = 'Message passing graph neural networks for tomorrow';
  const source = memorySource('test', [
    { arxivRef: '2611.77777', title, abstract: 'A graph neural network study of message passing.' },
  ]);
  const task = startScheduler(h.deps, { cron: '* * * * * *', timezone: 'UTC' }, [source]);
  try {
    const digest = await h.sink.waitFor(reader.email, undefined, 15_000);
    expect(digest.email.text).toContain(title);
  } finally {
    await task.stop();
  }
});
