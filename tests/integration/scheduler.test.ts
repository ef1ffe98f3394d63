import { afterAll, beforeAll, expect, test } from 'vitest';
import { startScheduler } from '../../jobs/scheduler.ts';
import { ingestSample } from '../../src/papers/ingest.ts';
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
