import type { Db } from '../db.ts';
import type { SubscriberStatus } from '../generated/prisma/enums.ts';
import type { SubscriberRow } from './columns.ts';

/** The subscribers among `emails` (lowercased), by address: one query for a whole batch. */
export async function findSubscribersByEmails(db: Db, emails: string[]) {
  const rows = await db.subscriber.findMany({
    where: { email: { in: emails } },
    select: { email: true, status: true },
  });
  return new Map(rows.map((row) => [row.email, row.status]));
}

/** Which of `hashes` are on the suppression list. */
export async function findSuppressedHashes(db: Db, hashes: string[]): Promise<Set<string>> {
  const rows = await db.suppression.findMany({
    where: { emailHash: { in: hashes } },
    select: { emailHash: true },
  });
  return new Set(rows.map((row) => row.emailHash));
}

/** A row of an import file, with where it came from. */
export interface ImportedRow extends SubscriberRow {
  line: number;
}

/**
 * Inserts new subscribers with their topics, interests and an `imported` consent event each
 * (file and line), in four statements whatever the batch size. An address that exists by now
 * (a concurrent subscribe or import) is left alone. Run it inside a transaction. Returns the
 * addresses it created.
 */
export async function insertImportedSubscribers(
  db: Db,
  rows: ImportedRow[],
  input: { status: Extract<SubscriberStatus, 'pending' | 'active'>; now: Date; file: string },
): Promise<Set<string>> {
  const created = await db.subscriber.createManyAndReturn({
    data: rows.map((row) => ({
      email: row.email,
      status: input.status,
      timezone: row.timezone,
      deliveryHour: row.deliveryHour,
      frequency: row.frequency,
      deliveryWeekday: row.deliveryWeekday,
      maxPapers: row.maxPapers,
      ...(input.status === 'active' ? { confirmedAt: input.now } : {}),
    })),
    skipDuplicates: true,
    select: { id: true, email: true },
  });
  const idOf = new Map(created.map((row) => [row.email, row.id]));
  const fresh = rows.flatMap((row) => {
    const id = idOf.get(row.email);
    return id ? [{ ...row, id }] : [];
  });
  await db.subscriberTopic.createMany({
    data: fresh.flatMap((row) => row.topics.map((topicSlug) => ({ subscriberId: row.id, topicSlug }))),
  });
  await db.interest.createMany({
    data: fresh.flatMap((row) => [
      ...row.interests.map((value) => ({ subscriberId: row.id, kind: 'text' as const, value })),
      ...row.authors.map((value) => ({ subscriberId: row.id, kind: 'author' as const, value })),
      ...row.excludes.map((value) => ({ subscriberId: row.id, kind: 'exclude' as const, value })),
    ]),
    skipDuplicates: true,
  });
  await db.consentEvent.createMany({
    data: fresh.map((row) => ({
      subscriberId: row.id,
      kind: 'imported',
      at: input.now,
      detail: { file: input.file, line: row.line, confirmed: input.status === 'active', topics: row.topics },
    })),
  });
  return new Set(idOf.keys());
}

/**
 * Takes the right to send the confirmation email to the pending subscribers among `emails` who
 * have never been sent one; the conditional update is the guard, so two imports of one file send
 * one email. Returns who to send to.
 */
export async function claimConfirmations(db: Db, emails: string[], now: Date) {
  return db.subscriber.updateManyAndReturn({
    where: { email: { in: emails }, status: 'pending', confirmationSentAt: null },
    data: { confirmationSentAt: now },
    select: { id: true, email: true, tokenVersion: true },
  });
}

/** Gives back the claim of confirmations that could not be sent, so importing again retries them. */
export async function releaseConfirmations(db: Db, ids: string[], claimedAt: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.subscriber.updateMany({
    where: { id: { in: ids }, confirmationSentAt: claimedAt },
    data: { confirmationSentAt: null },
  });
}
