import { createHash } from 'node:crypto';
import type { Db } from '../db.ts';
import type { Frequency, InterestKind, SubscriberStatus } from '../generated/prisma/enums.ts';

/** The SHA-256 of a normalised address: how the suppression list remembers addresses it must never mail. */
export function suppressionHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

/** Whether `email` is on the suppression list. */
export async function isSuppressed(db: Db, email: string): Promise<boolean> {
  return (await db.suppression.count({ where: { emailHash: suppressionHash(email) } })) > 0;
}

/** A subscriber with what the services need to decide. */
export async function findSubscriberByEmail(db: Db, email: string) {
  return db.subscriber.findUnique({ where: { email } });
}

/** A subscriber by id, or null. */
export async function findSubscriberById(db: Db, id: string) {
  return db.subscriber.findUnique({ where: { id } });
}

/** The preferences a reader can change, as one value. */
export interface PreferenceValues {
  topics: string[];
  interests: string[];
  authors: string[];
  excludes: string[];
  timezone: string;
  deliveryHour: number;
  /** Left as it is when absent (the subscribe form does not ask). */
  frequency?: Frequency;
  /** Left as it is when absent. */
  maxPapers?: number;
  /** The day (0 = Sunday … 6) of a weekly digest; left as it is when absent. */
  deliveryWeekday?: number;
}

/** Replaces a subscriber's topics and interests with `prefs`. Run it inside a transaction. */
export async function replacePreferences(
  db: Db,
  subscriberId: string,
  prefs: PreferenceValues,
): Promise<void> {
  await db.subscriberTopic.deleteMany({ where: { subscriberId } });
  await db.subscriberTopic.createMany({
    data: prefs.topics.map((topicSlug) => ({ subscriberId, topicSlug })),
  });
  await db.interest.deleteMany({ where: { subscriberId } });
  const interests: { kind: InterestKind; value: string }[] = [
    ...prefs.interests.map((value) => ({ kind: 'text' as const, value })),
    ...prefs.authors.map((value) => ({ kind: 'author' as const, value })),
    ...prefs.excludes.map((value) => ({ kind: 'exclude' as const, value })),
  ];
  await db.interest.createMany({
    data: interests.map((interest) => ({ subscriberId, ...interest })),
    skipDuplicates: true,
  });
  await db.subscriber.update({
    where: { id: subscriberId },
    data: {
      timezone: prefs.timezone,
      deliveryHour: prefs.deliveryHour,
      ...(prefs.frequency ? { frequency: prefs.frequency } : {}),
      ...(prefs.maxPapers ? { maxPapers: prefs.maxPapers } : {}),
      ...(prefs.deliveryWeekday !== undefined ? { deliveryWeekday: prefs.deliveryWeekday } : {}),
    },
  });
}

/** Records a consent event (proof of what the reader asked for, when, and from where). */
export async function recordConsent(
  db: Db,
  subscriberId: string,
  kind: string,
  context: RequestContext,
  detail?: Record<string, unknown>,
): Promise<void> {
  await db.consentEvent.create({
    data: {
      subscriberId,
      kind,
      ip: context.ip ?? null,
      userAgent: context.userAgent?.slice(0, 500) ?? null,
      ...(detail ? { detail: detail as object } : {}),
    },
  });
}

/** Where a request came from, kept with consent events. */
export interface RequestContext {
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/** Moves a subscriber to `status` from any of `from`; returns whether it changed. */
export async function transitionStatus(
  db: Db,
  id: string,
  from: SubscriberStatus[],
  data: { status: SubscriberStatus; confirmedAt?: Date; unsubscribedAt?: Date | null },
): Promise<boolean> {
  const result = await db.subscriber.updateMany({ where: { id, status: { in: from } }, data });
  return result.count === 1;
}

/**
 * Creates or updates a confirmed subscriber by email with these topics and interests (demo data
 * and imports with recorded consent). Returns its id.
 */
export async function upsertConfirmedSubscriber(
  db: Db,
  input: { email: string; topics: string[]; interests: string[]; now: Date },
): Promise<string> {
  const email = input.email.toLowerCase();
  const row = await db.subscriber.upsert({
    where: { email },
    create: { email, status: 'active', confirmedAt: input.now },
    update: {},
    select: { id: true },
  });
  await replacePreferences(db, row.id, {
    topics: input.topics,
    interests: input.interests,
    authors: [],
    excludes: [],
    timezone: 'UTC',
    deliveryHour: 8,
  });
  return row.id;
}
