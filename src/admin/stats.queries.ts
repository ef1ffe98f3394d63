import type { Db } from '../db.ts';
import type { DeliveryStatus, SubscriberStatus } from '../generated/prisma/enums.ts';

/** How many subscribers have each status (statuses with none are absent). */
export async function countSubscribersByStatus(db: Db): Promise<Map<SubscriberStatus, number>> {
  const rows = await db.subscriber.groupBy({ by: ['status'], _count: { _all: true } });
  return new Map(rows.map((row) => [row.status, row._count._all]));
}

/** Subscribers who confirmed at some point (imported with consent counts), and those who complained. */
export async function countConfirmedAndComplained(db: Db) {
  const [confirmed, complained] = await Promise.all([
    db.subscriber.count({ where: { confirmedAt: { not: null } } }),
    db.subscriber.count({ where: { status: 'complained' } }),
  ]);
  return { confirmed, complained };
}

/** Deliveries per digest date and status for digest dates from `from` on (through `to` when given). */
export async function countDeliveriesByDay(db: Db, from: Date, to?: Date) {
  const rows = await db.delivery.groupBy({
    by: ['digestDate', 'status'],
    where: { digestDate: { gte: from, ...(to ? { lte: to } : {}) } },
    _count: { _all: true },
  });
  return rows.map((row) => ({
    date: row.digestDate.toISOString().slice(0, 10),
    status: row.status as DeliveryStatus,
    count: row._count._all,
  }));
}
