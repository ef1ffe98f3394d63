import type { Deps } from '../deps.ts';
import { DeliveryStatus, SubscriberStatus } from '../generated/prisma/enums.ts';
import {
  countConfirmedAndComplained,
  countDeliveriesByDay,
  countSubscribersByStatus,
} from './stats.queries.ts';

const DAY_MS = 86_400_000;
/** Days of the per-day digest table. */
export const STATS_DAYS = 14;
/** Days the bounce rate looks back over. */
export const RATE_DAYS = 30;

type DeliveryCounts = Record<DeliveryStatus, number>;

/** What `paperboy stats` reports; rates are fractions (0–1), null when nothing was sent. */
export interface Stats {
  subscribers: Record<SubscriberStatus, number> & { total: number };
  /** One entry per digest date, oldest first, the last being today (UTC); days without digests are zeros. */
  digests: ({ date: string } & DeliveryCounts)[];
  rates: {
    days: number;
    sent: number;
    bounced: number;
    /** bounced / (sent + bounced) over deliveries dated in the last `days` days. */
    bounceRate: number | null;
    complained: number;
    confirmed: number;
    /** complained subscribers / subscribers who ever confirmed. */
    complaintRate: number | null;
  };
}

const zeros = (): DeliveryCounts =>
  Object.fromEntries(Object.values(DeliveryStatus).map((status) => [status, 0])) as DeliveryCounts;

const ratio = (part: number, whole: number) => (whole === 0 ? null : part / whole);

/** Subscribers by status, digests per day for the last 14 days, and bounce and complaint rates. */
export async function collectStats(deps: Deps): Promise<Stats> {
  const today = new Date(`${deps.now().toISOString().slice(0, 10)}T00:00:00Z`);
  const tableFrom = new Date(today.getTime() - (STATS_DAYS - 1) * DAY_MS);
  // Readers east of UTC can already have tomorrow's (local) digest: the rate counts it too.
  const rateFrom = new Date(today.getTime() - (RATE_DAYS - 1) * DAY_MS);
  const [byStatus, people, deliveries] = await Promise.all([
    countSubscribersByStatus(deps.db),
    countConfirmedAndComplained(deps.db),
    countDeliveriesByDay(deps.db, rateFrom),
  ]);
  const subscribers = Object.fromEntries(
    Object.values(SubscriberStatus).map((status) => [status, byStatus.get(status) ?? 0]),
  ) as Record<SubscriberStatus, number>;
  const days = Array.from({ length: STATS_DAYS }, (_, i) => ({
    date: new Date(tableFrom.getTime() + i * DAY_MS).toISOString().slice(0, 10),
    ...zeros(),
  }));
  const byDate = new Map(days.map((day) => [day.date, day]));
  const total = zeros();
  for (const row of deliveries) {
    total[row.status] += row.count;
    const day = byDate.get(row.date);
    if (day) day[row.status] += row.count;
  }
  return {
    subscribers: { ...subscribers, total: Object.values(subscribers).reduce((a, b) => a + b, 0) },
    digests: days,
    rates: {
      days: RATE_DAYS,
      sent: total.sent,
      bounced: total.bounced,
      bounceRate: ratio(total.bounced, total.sent + total.bounced),
      ...people,
      complaintRate: ratio(people.complained, people.confirmed),
    },
  };
}
