import path from 'node:path';
import { isoDate } from '../src/dates.ts';
import { runDigest } from '../src/digest/run.ts';
import { emlFileName } from '../src/mail/capture-server.ts';
import { markPapersSeenAt } from '../src/papers/papers.queries.ts';
import { ingestSample, loadSamplePapers } from '../src/papers/sample.ts';
import { upsertConfirmedSubscriber } from '../src/subscribers/subscribers.queries.ts';
import type { Runtime } from './runtime.ts';

/** Three readers with different tastes, so the demo shows ranking at work. */
export const DEMO_READERS = [
  { email: 'ada@example.com', topics: ['graph-neural-networks', 'equivariance'], interests: [] },
  { email: 'grace@example.com', topics: ['optimization', 'loss-landscape'], interests: [] },
  {
    email: 'alan@example.com',
    topics: ['efficient-ml'],
    interests: ['running neural networks on small devices'],
  },
];

/** One line of the demo's table. */
export interface DemoRow {
  email: string;
  topics: string;
  papers: number;
  topPaper: string;
  status: string;
}

/**
 * Loads the sample papers as today's, makes sure the demo readers exist, and sends today's
 * digest. Running it again the same day sends nothing new and reports what was sent.
 */
export async function runDemo(runtime: Runtime) {
  const { deps } = runtime;
  const now = deps.now();
  const ingest = await ingestSample(deps);
  const sample = loadSamplePapers(now);
  await markPapersSeenAt(
    deps.db,
    sample.map((paper) => paper.id),
    now,
  );
  for (const reader of DEMO_READERS) await upsertConfirmedSubscriber(deps.db, { ...reader, now });
  const run = await runDigest(deps);
  const rows = await deps.db.delivery.findMany({
    where: {
      digestDate: new Date(`${isoDate(now)}T00:00:00Z`),
      subscriber: { email: { in: DEMO_READERS.map((r) => r.email) } },
    },
    select: {
      status: true,
      messageId: true,
      sentAt: true,
      subscriber: { select: { email: true, topics: { select: { topicSlug: true } } } },
      paperIds: true,
    },
    orderBy: { subscriber: { email: 'asc' } },
  });
  const titles = new Map(sample.map((paper) => [paper.id, paper.title]));
  const table: DemoRow[] = rows.map((row) => ({
    email: row.subscriber.email,
    topics: row.subscriber.topics.map((t) => t.topicSlug).join(', '),
    papers: row.paperIds.length,
    topPaper: titles.get(row.paperIds[0] ?? '') ?? '—',
    status: row.status,
  }));
  const outbox = runtime.capture?.dir;
  const emlFiles = outbox
    ? rows.flatMap((row) => (row.messageId ? [path.join(outbox, emlFileName(row.messageId))] : []))
    : [];
  return { ingest, run, table, emlFiles };
}
