import type { Db } from '../db.ts';
import { deliveryPapers } from './digest.queries.ts';

/** A reader by address with the preferences ranking needs, or null. */
export async function findReaderForPreview(db: Db, email: string) {
  return db.subscriber.findUnique({
    where: { email },
    select: {
      id: true,
      email: true,
      status: true,
      maxPapers: true,
      tokenVersion: true,
      topics: { select: { topicSlug: true }, orderBy: { topicSlug: 'asc' } },
      interests: { select: { kind: true, value: true } },
    },
  });
}

/** The reader's delivery for `digestDate` with its papers in order, or null. */
export async function findDeliveryForPreview(db: Db, subscriberId: string, digestDate: Date) {
  const row = await db.delivery.findUnique({
    where: { subscriberId_digestDate: { subscriberId, digestDate } },
    select: { id: true, status: true, sentAt: true, paperIds: true, paperWhys: true },
  });
  if (!row) return null;
  const { paperIds, paperWhys, ...delivery } = row;
  return { ...delivery, papers: deliveryPapers({ paperIds, paperWhys }) };
}
