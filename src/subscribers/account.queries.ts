import type { Db } from '../db.ts';
import { suppressionHash } from './subscribers.queries.ts';

/**
 * Records that a confirmation or link email goes to this subscriber now, unless one went within
 * `intervalMs`; returns whether the caller may send. The conditional update is the guard, so two
 * concurrent requests cannot both send.
 */
export async function claimLinkEmail(db: Db, id: string, now: Date, intervalMs: number): Promise<boolean> {
  const claimed = await db.subscriber.updateMany({
    where: {
      id,
      OR: [
        { confirmationSentAt: null },
        { confirmationSentAt: { lt: new Date(now.getTime() - intervalMs) } },
      ],
    },
    data: { confirmationSentAt: now },
  });
  return claimed.count === 1;
}

/** Bumps the subscriber's token version, which revokes every link made before; returns the new version. */
export async function bumpTokenVersion(db: Db, id: string): Promise<number> {
  const row = await db.subscriber.update({
    where: { id },
    data: { tokenVersion: { increment: 1 } },
    select: { tokenVersion: true },
  });
  return row.tokenVersion;
}

/** A subscriber's topics and interests, for the manage page. */
export async function findPreferenceRows(db: Db, subscriberId: string) {
  const [topics, interests] = await Promise.all([
    db.subscriberTopic.findMany({ where: { subscriberId }, select: { topicSlug: true } }),
    db.interest.findMany({ where: { subscriberId }, select: { kind: true, value: true } }),
  ]);
  return { topics: topics.map((t) => t.topicSlug), interests };
}

/** Everything stored about one subscriber, for "Download my data". */
export async function findSubscriberExport(db: Db, id: string) {
  return db.subscriber.findUnique({
    where: { id },
    select: {
      email: true,
      status: true,
      timezone: true,
      deliveryHour: true,
      frequency: true,
      deliveryWeekday: true,
      maxPapers: true,
      createdAt: true,
      confirmedAt: true,
      unsubscribedAt: true,
      topics: { select: { topicSlug: true }, orderBy: { topicSlug: 'asc' } },
      interests: { select: { kind: true, value: true } },
      consentEvents: {
        select: { kind: true, at: true, ip: true, userAgent: true, detail: true },
        orderBy: { id: 'asc' },
      },
      deliveries: {
        select: {
          digestDate: true,
          status: true,
          sentAt: true,
          paperIds: true,
          paperWhys: true,
        },
        orderBy: { digestDate: 'asc' },
      },
    },
  });
}

/**
 * Erases a subscriber: the address goes onto the suppression list as a hash, and the row with
 * everything hanging off it (topics, interests, deliveries, consent records) is deleted. Run it
 * inside a transaction.
 */
export async function eraseSubscriber(db: Db, id: string, email: string): Promise<void> {
  const emailHash = suppressionHash(email);
  await db.suppression.upsert({
    where: { emailHash },
    create: { emailHash, reason: 'erased' },
    update: {},
  });
  await db.consentEvent.deleteMany({ where: { subscriberId: id } });
  await db.subscriber.delete({ where: { id } });
}
