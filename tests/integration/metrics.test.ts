import { afterAll, beforeAll, expect, test } from 'vitest';
import { openDatabase } from '../../src/db.ts';
import { startMetricsServer } from '../../src/metrics.ts';
import { ingestFrom, memorySource } from '../../src/papers/ingest.ts';
import { readerLinks } from '../../src/subscribers/links.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { closedPort } from '../helpers/serve.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const SUBSCRIBED = 'metrics-reader@example.com';

let h: Harness;
let token = '';
let digestId = '';
let readerEmail = '';
beforeAll(async () => {
  h = await startHarness();
  // A reader who subscribes through the API (pending), two active ones, one unsubscribed.
  const subscribed = await fetch(`${h.baseUrl}/api/subscriptions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: SUBSCRIBED, topics: ['graph-neural-networks'] }),
  });
  expect(subscribed.status).toBe(202);
  const reader = await createSubscriber(h.db);
  readerEmail = reader.email;
  await createSubscriber(h.db);
  await createSubscriber(h.db, { status: 'unsubscribed' });
  // Deliveries: one planned and one sent now, one sent ten days ago (outside the last 24 h).
  const now = new Date();
  const day = (offset: number) =>
    new Date(`${new Date(now.getTime() + offset * DAY_MS).toISOString().slice(0, 10)}T00:00:00Z`);
  const other = await createSubscriber(h.db);
  await h.db.delivery.create({ data: { subscriberId: reader.id, digestDate: day(0), status: 'planned' } });
  const sent = await h.db.delivery.create({
    data: { subscriberId: other.id, digestDate: day(0), status: 'sent', sentAt: now },
  });
  digestId = sent.id;
  await h.db.delivery.create({
    data: {
      subscriberId: other.id,
      digestDate: day(-10),
      status: 'sent',
      plannedAt: new Date(now.getTime() - 10 * DAY_MS),
      updatedAt: new Date(now.getTime() - 10 * DAY_MS),
    },
  });
  // Ingest: two new papers and one record without an abstract (skipped).
  await ingestFrom(
    h.deps,
    memorySource('metrics-test', [
      { arxivRef: '2611.00001', title: 'Graph neural networks at scale', abstract: 'Message passing.' },
      { arxivRef: '2611.00002', title: 'Sparse attention', abstract: 'Attention, sparsely.' },
      { arxivRef: '2611.00003', title: 'No abstract here' },
    ]),
    now.toISOString().slice(0, 10),
  );
  // Requests whose URLs carry a token and an id: neither may reach a label.
  token = new URL(readerLinks(h.deps.config, reader).manageUrl).searchParams.get('token') ?? '';
  expect((await fetch(`${h.baseUrl}/manage?token=${token}`)).status).toBe(200);
  await fetch(`${h.baseUrl}/digest/${digestId}?token=${token}`);
  await fetch(`${h.baseUrl}/no/such/page/${encodeURIComponent(SUBSCRIBED)}`);
});
afterAll(() => h?.close());

/** The value of the one sample named exactly `series` (name plus labels as prom-client prints them). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

test('/metrics shows ingest counters, subscribers and deliveries from the database, and HTTP durations by route', async () => {
  const text = await scrape(`${h.baseUrl}/metrics`);
  expect(sample(text, 'paperboy_ingest_records_total{source="metrics-test",result="created"}')).toBe(2);
  expect(sample(text, 'paperboy_ingest_records_total{source="metrics-test",result="skipped"}')).toBe(1);
  expect(sample(text, 'paperboy_ingest_records_total{source="metrics-test",result="updated"}')).toBe(0);
  expect(sample(text, 'paperboy_ingest_runs_total{source="metrics-test",status="ok"}')).toBe(1);

  expect(sample(text, 'paperboy_subscribers{status="pending"}')).toBe(1);
  expect(sample(text, 'paperboy_subscribers{status="active"}')).toBe(3);
  expect(sample(text, 'paperboy_subscribers{status="unsubscribed"}')).toBe(1);
  expect(sample(text, 'paperboy_subscribers{status="bounced"}')).toBe(0);
  expect(sample(text, 'paperboy_queue_depth')).toBe(1);
  expect(sample(text, 'paperboy_metrics_database_up')).toBe(1);
  expect(sample(text, 'paperboy_deliveries_last_24h{status="planned"}')).toBe(1);
  expect(sample(text, 'paperboy_deliveries_last_24h{status="sent"}')).toBe(1);

  // The worker's counters exist from the start, at 0, in this process.
  expect(sample(text, 'paperboy_deliveries_total{status="sent"}')).toBe(0);
  expect(sample(text, 'paperboy_smtp_send_seconds_count')).toBe(0);
  expect(text).toMatch(/^process_cpu_user_seconds_total /m);

  const http = 'paperboy_http_request_duration_seconds_count';
  expect(sample(text, `${http}{method="POST",route="/api/subscriptions",status="202"}`)).toBe(1);
  expect(sample(text, `${http}{method="GET",route="/manage",status="200"}`)).toBe(1);
  expect(text).toContain(`${http}{method="GET",route="/digest/:id",`);
  expect(sample(text, `${http}{method="GET",route="unmatched",status="404"}`)).toBe(1);
});

test('no token, digest id or email address appears anywhere in the scraped text', async () => {
  const text = await scrape(`${h.baseUrl}/metrics`);
  for (const secret of [token, digestId, SUBSCRIBED, readerEmail, 'example.com', '@']) {
    expect(text).not.toContain(secret);
  }
});

test('the metrics server for processes without the app serves the same text, and nothing else', async () => {
  const server = await startMetricsServer(h.deps, 0, '127.0.0.1');
  try {
    const text = await scrape(`http://127.0.0.1:${server.port}/metrics`);
    expect(sample(text, 'paperboy_subscribers{status="active"}')).toBe(3);
    expect(sample(text, 'paperboy_ingest_runs_total{source="metrics-test",status="ok"}')).toBe(1);
    // The container probe: answered without touching the database.
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' })).status).toBe(404);
  } finally {
    await server.close();
  }
});

test('with the database unreachable a scrape still serves the process metrics, without the database gauges', async () => {
  const database = await openDatabase(`postgresql://postgres@127.0.0.1:${await closedPort()}/nowhere`, '');
  const server = await startMetricsServer({ ...h.deps, db: database.prisma }, 0, '127.0.0.1');
  try {
    const text = await scrape(`http://127.0.0.1:${server.port}/metrics`);
    expect(sample(text, 'paperboy_ingest_runs_total{source="metrics-test",status="ok"}')).toBe(1);
    expect(text).not.toMatch(/^paperboy_subscribers\{/m);
    expect(text).not.toMatch(/^paperboy_queue_depth /m);
    expect(sample(text, 'paperboy_metrics_database_up')).toBe(0);
  } finally {
    await server.close();
    await database.close();
  }
});
