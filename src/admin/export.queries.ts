import type { Db } from '../db.ts';
import type { SubscriberStatus } from '../generated/prisma/enums.ts';

/** Subscribers with `statuses` after `afterId` in id order, with their preferences, for the CSV export. */
export async function findSubscribersForExport(
  db: Db,
  statuses: readonly SubscriberStatus[],
  afterId: string | null,
  take: number,
) {
  return db.subscriber.findMany({
    where: { status: { in: [...statuses] }, ...(afterId ? { id: { gt: afterId } } : {}) },
    orderBy: { id: 'asc' },
    take,
    select: {
      id: true,
      email: true,
      timezone: true,
      deliveryHour: true,
      frequency: true,
      deliveryWeekday: true,
      maxPapers: true,
      topics: { select: { topicSlug: true }, orderBy: { topicSlug: 'asc' } },
      interests: { select: { kind: true, value: true }, orderBy: [{ kind: 'asc' }, { value: 'asc' }] },
    },
  });
}
