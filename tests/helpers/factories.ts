import type { Db } from '../../src/db.ts';
import { newPaper, type Paper } from '../../src/papers/paper.ts';

let counter = 0;

/** A subscriber row with sensible defaults; `topics` are slugs of built-in topics. */
export async function createSubscriber(
  db: Db,
  overrides: {
    email?: string;
    status?: 'pending' | 'active' | 'unsubscribed';
    topics?: string[];
    interests?: string[];
  } = {},
) {
  counter++;
  const subscriber = await db.subscriber.create({
    data: {
      email: overrides.email ?? `reader${counter}-${Date.now()}@example.com`,
      status: overrides.status ?? 'active',
      confirmedAt: new Date(),
    },
  });
  const topics = overrides.topics ?? ['graph-neural-networks'];
  await db.subscriberTopic.createMany({
    data: topics.map((topicSlug) => ({ subscriberId: subscriber.id, topicSlug })),
  });
  if (overrides.interests?.length) {
    await db.interest.createMany({
      data: overrides.interests.map((value) => ({
        subscriberId: subscriber.id,
        kind: 'text' as const,
        value,
      })),
    });
  }
  return subscriber;
}

/** A paper with sensible defaults. */
export function paper(overrides: Partial<Paper> & { id: string; title: string }): Paper {
  return newPaper({ abstract: 'An abstract.', firstSeenAt: new Date(), ...overrides });
}

/** Stores papers exactly as given, bypassing ingest's cleaning (for tests of what comes after). */
export async function insertPapers(db: Db, papers: Paper[]): Promise<void> {
  await db.paper.createMany({ data: papers.map((p) => ({ ...p, sources: ['test'] })) });
}

/** `count` active readers of `topics` in one round trip each for readers and topics; returns their emails. */
export async function createSubscribers(
  db: Db,
  count: number,
  options: { topics?: string[]; prefix?: string; timezone?: string; deliveryHour?: number } = {},
): Promise<string[]> {
  const prefix = options.prefix ?? `bulk${++counter}`;
  const emails = Array.from({ length: count }, (_, i) => `${prefix}-${i}@example.com`);
  await db.subscriber.createMany({
    data: emails.map((email) => ({
      email,
      status: 'active' as const,
      confirmedAt: new Date('2026-01-01T00:00:00Z'),
      timezone: options.timezone ?? 'UTC',
      deliveryHour: options.deliveryHour ?? 8,
    })),
  });
  const rows = await db.subscriber.findMany({ where: { email: { in: emails } }, select: { id: true } });
  const topics = options.topics ?? ['graph-neural-networks'];
  await db.subscriberTopic.createMany({
    data: rows.flatMap((row) => topics.map((topicSlug) => ({ subscriberId: row.id, topicSlug }))),
  });
  return emails;
}
