import type { Db } from './db.ts';
import { DeliveryStatus, SubscriberStatus } from './generated/prisma/enums.ts';

/** Days of digest dates to look back over for recent deliveries: bounds the scan to the index. */
const RECENT_DIGEST_DAYS = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

/** One round trip to the database; rejects when it cannot answer. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}

/** Every status of `statuses` with its count from `rows`, 0 where none, so a series never vanishes. */
function byStatus<S extends string>(
  statuses: Record<string, S>,
  rows: { status: S; _count: { _all: number } }[],
): Record<S, number> {
  const counts = Object.fromEntries(Object.values(statuses).map((status) => [status, 0])) as Record<
    S,
    number
  >;
  for (const row of rows) counts[row.status] = row._count._all;
  return counts;
}

/** Subscribers by status (one GROUP BY over the status index). */
export async function countSubscribersByStatus(db: Db): Promise<Record<SubscriberStatus, number>> {
  const rows = await db.subscriber.groupBy({ by: ['status'], _count: { _all: true } });
  return byStatus(SubscriberStatus, rows);
}

/** Deliveries waiting to be sent: the partial index on planned rows answers it. */
export async function countPlannedDeliveries(db: Db): Promise<number> {
  return db.delivery.count({ where: { status: 'planned' } });
}

/**
 * Deliveries whose state changed in the 24 hours before `now`, by status. The digest-date bound
 * lets the (digest_date, status) index narrow the scan; a delivery is never touched days after
 * its digest date.
 */
export async function countRecentDeliveriesByStatus(
  db: Db,
  now: Date,
): Promise<Record<DeliveryStatus, number>> {
  const rows = await db.delivery.groupBy({
    by: ['status'],
    where: {
      digestDate: { gte: new Date(now.getTime() - RECENT_DIGEST_DAYS * DAY_MS) },
      updatedAt: { gte: new Date(now.getTime() - DAY_MS) },
    },
    _count: { _all: true },
  });
  return byStatus(DeliveryStatus, rows);
}
