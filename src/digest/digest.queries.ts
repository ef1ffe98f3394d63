import type { Db } from '../db.ts';

/** Active readers with no delivery yet for `digestDate`, in id order after `afterId`, with their preferences. */
export async function findDueSubscribers(db: Db, digestDate: Date, afterId: string | null, take: number) {
  return db.subscriber.findMany({
    where: {
      status: 'active',
      deliveries: { none: { digestDate } },
      ...(afterId ? { id: { gt: afterId } } : {}),
    },
    orderBy: { id: 'asc' },
    take,
    select: {
      id: true,
      email: true,
      maxPapers: true,
      tokenVersion: true,
      topics: { select: { topic: { select: { slug: true, name: true, queryTerms: true } } } },
      interests: { select: { kind: true, value: true } },
    },
  });
}

/** For each of `subscriberIds`, which of `paperIds` they were already sent. */
export async function findAlreadySent(
  db: Db,
  subscriberIds: string[],
  paperIds: string[],
): Promise<Map<string, Set<string>>> {
  const rows = await db.deliveryPaper.findMany({
    where: { subscriberId: { in: subscriberIds }, paperId: { in: paperIds } },
    select: { subscriberId: true, paperId: true },
  });
  const sent = new Map<string, Set<string>>();
  for (const row of rows) {
    const set = sent.get(row.subscriberId) ?? new Set<string>();
    set.add(row.paperId);
    sent.set(row.subscriberId, set);
  }
  return sent;
}

/** A planned digest for one reader: the papers in rank order with their one-line reasons. */
export interface PlannedDigest {
  subscriberId: string;
  digestDate: Date;
  papers: { paperId: string; why: string }[];
}

/**
 * Records the plan for one reader and date, or does nothing when one exists already (another
 * planner got there first): the unique (subscriber, date) key is the guard. A plan with no
 * papers is recorded as `skipped`. Returns the new delivery's id, or null.
 */
export async function insertPlannedDelivery(db: Db, plan: PlannedDigest): Promise<string | null> {
  const status = plan.papers.length === 0 ? 'skipped' : 'planned';
  const rows = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO deliveries (subscriber_id, digest_date, status, last_error)
    VALUES (${plan.subscriberId}::uuid, ${plan.digestDate}::date, ${status}::delivery_status,
            ${status === 'skipped' ? 'no matching papers' : null})
    ON CONFLICT (subscriber_id, digest_date) DO NOTHING
    RETURNING id`;
  const id = rows[0]?.id;
  if (!id || plan.papers.length === 0) return id ?? null;
  await db.deliveryPaper.createMany({
    data: plan.papers.map((paper, position) => ({
      subscriberId: plan.subscriberId,
      paperId: paper.paperId,
      deliveryId: id,
      position,
      why: paper.why,
    })),
  });
  return id;
}

/** Planned deliveries of `digestDate`, oldest first. */
export async function findPlannedDeliveries(db: Db, digestDate: Date, take: number) {
  return db.delivery.findMany({
    where: { digestDate, status: 'planned' },
    orderBy: { plannedAt: 'asc' },
    take,
    select: { id: true },
  });
}

/** Takes a planned delivery for sending; false when another sender has it (or it is no longer planned). */
export async function claimDelivery(db: Db, id: string): Promise<boolean> {
  const result = await db.delivery.updateMany({
    where: { id, status: 'planned' },
    data: { status: 'sending', attempts: { increment: 1 } },
  });
  return result.count === 1;
}

/** A claimed delivery with everything needed to render and address it. */
export async function loadDeliveryForSending(db: Db, id: string) {
  return db.delivery.findUnique({
    where: { id },
    select: {
      id: true,
      digestDate: true,
      sentAt: true,
      subscriber: { select: { id: true, email: true, status: true, tokenVersion: true } },
      papers: { orderBy: { position: 'asc' }, select: { paperId: true, why: true } },
    },
  });
}

/** Ends a delivery that was `sending` in state `status`. */
export async function finishDelivery(
  db: Db,
  id: string,
  outcome: { status: 'sent' | 'failed' | 'skipped'; messageId?: string; error?: string; at: Date },
): Promise<void> {
  await db.delivery.updateMany({
    where: { id, status: 'sending' },
    data: {
      status: outcome.status,
      messageId: outcome.messageId ?? null,
      lastError: outcome.error ?? null,
      ...(outcome.status === 'sent' ? { sentAt: outcome.at } : {}),
    },
  });
}

/** A reader's most recent sent deliveries with their papers in order, newest first (for their private feed). */
export async function findRecentSentDeliveries(db: Db, subscriberId: string, take: number) {
  return db.delivery.findMany({
    where: { subscriberId, status: 'sent' },
    orderBy: { digestDate: 'desc' },
    take,
    select: {
      id: true,
      digestDate: true,
      sentAt: true,
      papers: { orderBy: { position: 'asc' }, select: { paperId: true, why: true } },
    },
  });
}
