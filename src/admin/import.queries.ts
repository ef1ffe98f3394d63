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
 * (file and line): four statements whatever the batch size, each taking its rows as arrays
 * (`unnest`), so a batch is a handful of parameters, not thousands. An address that exists by now
 * (a concurrent subscribe or import) is left alone. Run it inside a transaction. Returns the
 * addresses it created.
 */
export async function insertImportedSubscribers(
  db: Db,
  rows: ImportedRow[],
  input: { status: Extract<SubscriberStatus, 'pending' | 'active'>; now: Date; file: string },
): Promise<Set<string>> {
  const confirmedAt = input.status === 'active' ? input.now : null;
  const created = await db.$queryRaw<{ id: string; email: string }[]>`
    INSERT INTO subscribers (email, status, timezone, delivery_hour, frequency, delivery_weekday, max_papers,
                             confirmed_at, created_at, updated_at)
    SELECT r.email, ${input.status}::subscriber_status, r.timezone, r.hour, r.frequency::frequency, r.weekday,
           r.max_papers, ${confirmedAt}::timestamptz, ${input.now}::timestamptz, ${input.now}::timestamptz
    FROM unnest(${rows.map((r) => r.email)}::text[], ${rows.map((r) => r.timezone)}::text[],
                ${rows.map((r) => r.deliveryHour)}::int[], ${rows.map((r) => r.frequency)}::text[],
                ${rows.map((r) => r.deliveryWeekday)}::int[], ${rows.map((r) => r.maxPapers)}::int[])
         AS r(email, timezone, hour, frequency, weekday, max_papers)
    ON CONFLICT (email) DO NOTHING
    RETURNING id, email`;
  const idOf = new Map(created.map((row) => [row.email, row.id]));
  const fresh = rows.flatMap((row) => {
    const id = idOf.get(row.email);
    return id ? [{ ...row, id }] : [];
  });
  const topics = fresh.flatMap((row) => row.topics.map((slug) => [row.id, slug] as const));
  if (topics.length > 0)
    await db.$executeRaw`
      INSERT INTO subscriber_topics (subscriber_id, topic_slug)
      SELECT * FROM unnest(${topics.map((t) => t[0])}::uuid[], ${topics.map((t) => t[1])}::text[])
      ON CONFLICT DO NOTHING`;
  const interests = fresh.flatMap((row) => [
    ...row.interests.map((value) => [row.id, 'text', value] as const),
    ...row.authors.map((value) => [row.id, 'author', value] as const),
    ...row.excludes.map((value) => [row.id, 'exclude', value] as const),
  ]);
  if (interests.length > 0)
    await db.$executeRaw`
      INSERT INTO interests (subscriber_id, kind, value)
      SELECT s, k::interest_kind, v
      FROM unnest(${interests.map((i) => i[0])}::uuid[], ${interests.map((i) => i[1])}::text[],
                  ${interests.map((i) => i[2])}::text[]) AS i(s, k, v)
      ON CONFLICT DO NOTHING`;
  if (fresh.length > 0) {
    const details = fresh.map((row) =>
      JSON.stringify({
        file: input.file,
        line: row.line,
        confirmed: input.status === 'active',
        topics: row.topics,
      }),
    );
    await db.$executeRaw`
      INSERT INTO consent_events (subscriber_id, kind, at, detail)
      SELECT s, 'imported', ${input.now}::timestamptz, d::jsonb
      FROM unnest(${fresh.map((row) => row.id)}::uuid[], ${details}::text[]) AS c(s, d)`;
  }
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
