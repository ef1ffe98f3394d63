import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { recordMissedDeliveries } from '../../src/digest/digest.queries.ts';
import type { TickMemory } from '../../src/digest/plan.ts';
import { runDigest } from '../../src/digest/run.ts';
import { zoneSlotGroups } from '../../src/digest/schedule.ts';
import { createSubscriber, insertPapers, paper } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ http: false });
});
afterAll(() => h?.close());
beforeEach(async () => {
  await h.db.subscriber.deleteMany();
  await h.db.paper.deleteMany();
  h.sink.clear();
});

const tick = (at: string, maxLatenessHours = 6) => {
  h.setNow(new Date(at));
  return runDigest(h.deps, { tick: { maxLatenessHours } });
};

/** An active reader with a schedule, confirmed long before any instant the tests tick at. */
async function reader(schedule: {
  timezone: string;
  deliveryHour: number;
  frequency?: 'daily' | 'weekdays' | 'weekly';
  deliveryWeekday?: number;
}) {
  const created = await createSubscriber(h.db, { topics: ['graph-neural-networks'] });
  return h.db.subscriber.update({
    where: { id: created.id },
    data: { ...schedule, confirmedAt: new Date('2026-01-01T00:00:00Z') },
  });
}

/** Fresh papers for every tick: each digest date gets new ones (a reader never gets a paper twice). */
let paperCount = 0;
async function freshPapers(at: string) {
  const ids = [1, 2].map(() => `2611.${String(++paperCount).padStart(5, '0')}`);
  await insertPapers(
    h.db,
    ids.map((id) =>
      paper({
        id,
        title: `Graph neural networks ${id}`,
        firstSeenAt: new Date(new Date(at).getTime() - 3_600_000),
      }),
    ),
  );
}

const datesOf = async (subscriberId: string, status = 'sent') =>
  (
    await h.db.delivery.findMany({
      where: { subscriberId, status: status as 'sent' },
      orderBy: { digestDate: 'asc' },
    })
  ).map((d) => d.digestDate.toISOString().slice(0, 10));

test('each reader gets one digest on their local date at their local hour, not before', async () => {
  await freshPapers('2026-11-19T18:00:00Z');
  const berlin = await reader({ timezone: 'Europe/Berlin', deliveryHour: 8 }); // 07:00 UTC
  const newYork = await reader({ timezone: 'America/New_York', deliveryHour: 7 }); // 12:00 UTC
  const kolkata = await reader({ timezone: 'Asia/Kolkata', deliveryHour: 8 }); // 02:30 UTC
  const chatham = await reader({ timezone: 'Pacific/Chatham', deliveryHour: 8 }); // 18:15 UTC the day before
  const sentTo = () =>
    [berlin, newYork, kolkata, chatham].filter((r) => h.sink.to(r.email).length > 0).map((r) => r.timezone);
  const plan: [string, string[]][] = [
    ['2026-11-19T18:14:00Z', []],
    ['2026-11-19T18:15:00Z', ['Pacific/Chatham']],
    ['2026-11-20T02:29:00Z', ['Pacific/Chatham']],
    ['2026-11-20T02:30:00Z', ['Pacific/Chatham', 'Asia/Kolkata']],
    ['2026-11-20T06:59:00Z', ['Pacific/Chatham', 'Asia/Kolkata']],
    ['2026-11-20T07:00:00Z', ['Europe/Berlin', 'Pacific/Chatham', 'Asia/Kolkata']],
    ['2026-11-20T11:59:00Z', ['Europe/Berlin', 'Pacific/Chatham', 'Asia/Kolkata']],
    ['2026-11-20T12:00:00Z', ['Europe/Berlin', 'America/New_York', 'Pacific/Chatham', 'Asia/Kolkata']],
    ['2026-11-20T12:30:00Z', ['Europe/Berlin', 'America/New_York', 'Pacific/Chatham', 'Asia/Kolkata']],
  ];
  for (const [at, expected] of plan) {
    await tick(at);
    expect(sentTo().sort(), at).toEqual([...expected].sort());
  }
  for (const r of [berlin, newYork, kolkata, chatham]) {
    expect(h.sink.to(r.email)).toHaveLength(1);
    expect(await datesOf(r.id)).toEqual(['2026-11-20']);
  }
  // Chatham's 08:00 on the 20th is 18:15 UTC on the 19th: the digest is dated by the reader's calendar.
  expect(h.sink.to(chatham.email)[0]?.email.messageId).toContain('digest.2026-11-20.');
});

test('two ticks at the same instant send nothing more', async () => {
  await freshPapers('2026-11-20T07:00:00Z');
  const r = await reader({ timezone: 'Europe/Berlin', deliveryHour: 8 });
  expect(await tick('2026-11-20T07:05:00Z')).toMatchObject({ planned: 1, sent: 1 });
  expect(await tick('2026-11-20T07:05:00Z')).toMatchObject({ planned: 0, sent: 0, missed: 0 });
  expect(h.sink.to(r.email)).toHaveLength(1);
});

test('a weekdays reader gets nothing on a local Saturday; a weekly reader only on their weekday', async () => {
  const weekdays = await reader({ timezone: 'Europe/Berlin', deliveryHour: 8, frequency: 'weekdays' });
  const weekly = await reader({
    timezone: 'Europe/Berlin',
    deliveryHour: 8,
    frequency: 'weekly',
    deliveryWeekday: 0,
  });
  // Friday 20th to Monday 23rd, at 08:00 Berlin.
  for (const day of ['20', '21', '22', '23']) {
    const at = `2026-11-${day}T07:00:00Z`;
    await freshPapers(at);
    await tick(at);
  }
  expect(await datesOf(weekdays.id)).toEqual(['2026-11-20', '2026-11-23']);
  expect(await datesOf(weekly.id)).toEqual(['2026-11-22']);
  expect(h.sink.to(weekdays.email)).toHaveLength(2);
  expect(h.sink.to(weekly.email)).toHaveLength(1);
  // No day without a slot was recorded as anything.
  expect(await h.db.delivery.count({ where: { subscriberId: weekdays.id } })).toBe(2);
});

test('a DST change day sends once: the skipped hour at the jump, the repeated hour at its first occurrence', async () => {
  const spring = await reader({ timezone: 'Europe/Berlin', deliveryHour: 2 });
  await freshPapers('2026-03-29T00:00:00Z');
  for (const at of ['2026-03-29T00:30:00Z', '2026-03-29T00:59:00Z']) await tick(at);
  expect(h.sink.to(spring.email)).toHaveLength(0);
  for (const at of ['2026-03-29T01:00:00Z', '2026-03-29T01:30:00Z', '2026-03-29T02:00:00Z']) await tick(at);
  expect(await datesOf(spring.id)).toEqual(['2026-03-29']);
  expect(h.sink.to(spring.email)).toHaveLength(1);

  const autumn = await reader({ timezone: 'America/New_York', deliveryHour: 1 });
  await freshPapers('2026-11-01T04:00:00Z');
  // 01:00 EDT, 01:30 EDT, 01:00 EST, 01:30 EST.
  for (const at of [
    '2026-11-01T05:00:00Z',
    '2026-11-01T05:30:00Z',
    '2026-11-01T06:00:00Z',
    '2026-11-01T06:30:00Z',
  ])
    await tick(at);
  expect(await datesOf(autumn.id)).toEqual(['2026-11-01']);
  expect(h.sink.to(autumn.email)).toHaveLength(1);
});

test('after an outage longer than the lateness the day is recorded skipped and nothing is sent', async () => {
  await freshPapers('2026-11-20T07:00:00Z');
  const r = await reader({ timezone: 'Europe/Berlin', deliveryHour: 8 });
  const result = await tick('2026-11-20T13:01:00Z');
  expect(result).toMatchObject({ missed: 1, planned: 0, sent: 0 });
  expect(await h.db.delivery.findFirstOrThrow({ where: { subscriberId: r.id } })).toMatchObject({
    status: 'skipped',
    lastError: 'missed: more than 6 hours late',
  });
  expect(await tick('2026-11-20T13:02:00Z')).toMatchObject({ missed: 0, sent: 0 });
  expect(h.sink.messages).toHaveLength(0);
  // The next day is on time again.
  await freshPapers('2026-11-21T07:00:00Z');
  await tick('2026-11-21T07:00:00Z');
  expect(h.sink.to(r.email)).toHaveLength(1);
});

test('a dry run counts the readers who missed their slot and records nothing', async () => {
  await reader({ timezone: 'Europe/Berlin', deliveryHour: 8 });
  await reader({ timezone: 'Europe/Berlin', deliveryHour: 9 });
  h.setNow(new Date('2026-11-20T16:01:00Z'));
  expect(await runDigest(h.deps, { tick: { maxLatenessHours: 6 }, dryRun: true })).toMatchObject({
    missed: 2,
    planned: 0,
  });
  expect(await h.db.delivery.count()).toBe(0);
});

test('missed slots are recorded a page of readers at a time, each reader once, rows already there kept', async () => {
  const readers = await Promise.all(
    [0, 1, 2, 3, 4].map(() => reader({ timezone: 'Asia/Kolkata', deliveryHour: 6 })),
  );
  const now = new Date('2026-11-20T12:00:00Z'); // 17:30 in Kolkata: 11.5 hours after the slot
  const group = zoneSlotGroups('Asia/Kolkata', now, 6).find((g) => g.status === 'missed');
  const hour = group?.hours.find((hr) => hr.deliveryHour === 6);
  if (!group || !hour) throw new Error('06:00 in Kolkata should be missed at 17:30');
  // One reader's row for the date exists already (another scheduler got there first).
  const [first] = readers.map((r) => r.id).sort();
  await h.db.delivery.create({
    data: { subscriberId: first as string, digestDate: new Date('2026-11-20'), status: 'planned' },
  });
  const pages: number[] = [];
  let afterId: string | null = null;
  for (;;) {
    const page = await recordMissedDeliveries(
      h.db,
      { timezone: 'Asia/Kolkata', group, hour },
      'missed: test',
      { afterId, take: 2 },
      false,
    );
    pages.push(page.readers);
    if (page.lastId === null) break;
    afterId = page.lastId;
  }
  // The reader with a row is not due any more, so not paged through.
  expect(pages).toEqual([2, 2, 0]);
  const rows = await h.db.delivery.findMany({ orderBy: { subscriberId: 'asc' } });
  expect(rows.map((row) => [row.subscriberId, row.status, row.lastError])).toEqual(
    [...readers.map((r) => r.id)]
      .sort()
      .map((id) => [id, id === first ? 'planned' : 'skipped', id === first ? null : 'missed: test']),
  );
});

test('a scheduler that remembers its last tick plans the slots that came since and the readers changed since, each once', async () => {
  await freshPapers('2026-11-20T06:00:00Z');
  const memory: TickMemory = {};
  const remembered = (at: string) => {
    h.setNow(new Date(at));
    return runDigest(h.deps, { tick: { maxLatenessHours: 6, memory } });
  };
  const eight = await reader({ timezone: 'Europe/Berlin', deliveryHour: 8 });
  const ten = await reader({ timezone: 'Europe/Berlin', deliveryHour: 10 });
  expect(await remembered('2026-11-20T07:05:00Z')).toMatchObject({ planned: 1 }); // 08:05 in Berlin
  // A reader whose schedule changed long ago, and whose 08:00 slot came before the last tick,
  // is not looked at again: the remembered tick reads new slots and changed readers only.
  const unseen = await reader({ timezone: 'Europe/Berlin', deliveryHour: 8 });
  await h.db
    .$executeRaw`UPDATE subscribers SET schedule_changed_at = '2026-01-01' WHERE id = ${unseen.id}::uuid`;
  // ten's slot came; ten is also a new reader (changed since): still counted once, dry or not.
  h.setNow(new Date('2026-11-20T09:05:00Z'));
  expect(await runDigest(h.deps, { tick: { maxLatenessHours: 6, memory }, dryRun: true })).toMatchObject({
    planned: 1,
  });
  expect(await remembered('2026-11-20T09:05:00Z')).toMatchObject({ planned: 1 });
  // A reader who moves to 09:00 after that tick is due at once, as are new readers.
  await h.db.subscriber.update({ where: { id: eight.id }, data: { deliveryHour: 9 } });
  const late = await reader({ timezone: 'Europe/Berlin', deliveryHour: 9 });
  expect(await remembered('2026-11-20T09:10:00Z')).toMatchObject({ planned: 1 });
  expect(await remembered('2026-11-20T09:15:00Z')).toMatchObject({ planned: 0, missed: 0 });
  expect(await datesOf(eight.id)).toEqual(['2026-11-20']);
  expect(await datesOf(ten.id)).toEqual(['2026-11-20']);
  expect(await datesOf(late.id)).toEqual(['2026-11-20']);
  expect(await datesOf(unseen.id)).toEqual([]);
  // A tick without the memory finds them all: the one left out was left out by the narrowing.
  expect(await tick('2026-11-20T09:20:00Z')).toMatchObject({ planned: 1 });
  expect(await datesOf(unseen.id)).toEqual(['2026-11-20']);
});

test('a dry tick or a clock set back does not move what a scheduler remembers', async () => {
  const r = await reader({ timezone: 'Europe/Berlin', deliveryHour: 8 });
  await h.db.$executeRaw`UPDATE subscribers SET schedule_changed_at = '2026-01-01' WHERE id = ${r.id}::uuid`;
  const memory: TickMemory = {};
  const remembered = (at: string, dryRun = false) => {
    h.setNow(new Date(at));
    return runDigest(h.deps, { tick: { maxLatenessHours: 6, memory }, planOnly: true, dryRun });
  };
  await remembered('2026-11-20T07:05:00Z', true);
  expect(memory.last).toBeUndefined();
  await remembered('2026-11-20T07:05:00Z');
  expect(memory.last?.at).toEqual(new Date('2026-11-20T07:05:00Z'));
  // Back to the day before: the memory is not trusted, and the reader's day is found.
  await remembered('2026-11-19T07:05:00Z');
  expect(await datesOf(r.id, 'skipped')).toEqual(['2026-11-19', '2026-11-20']);
});

test("a reader's schedule change is stamped by the database; other changes are not", async () => {
  const r = await reader({ timezone: 'Europe/Berlin', deliveryHour: 8 });
  const stamp = async () =>
    (await h.db.subscriber.findUniqueOrThrow({ where: { id: r.id } })).scheduleChangedAt.getTime();
  await h.db.$executeRaw`UPDATE subscribers SET schedule_changed_at = '2026-01-01' WHERE id = ${r.id}::uuid`;
  const old = await stamp();
  await h.db.subscriber.update({
    where: { id: r.id },
    data: { maxPapers: 20, tokenVersion: { increment: 1 } },
  });
  expect(await stamp()).toBe(old);
  for (const data of [
    { deliveryHour: 9 },
    { timezone: 'Asia/Kolkata' },
    { frequency: 'weekly' as const },
    { deliveryWeekday: 3 },
    { status: 'unsubscribed' as const },
    { confirmedAt: new Date('2026-11-01T00:00:00Z') },
  ]) {
    await h.db
      .$executeRaw`UPDATE subscribers SET schedule_changed_at = '2026-01-01' WHERE id = ${r.id}::uuid`;
    await h.db.subscriber.update({ where: { id: r.id }, data });
    expect(await stamp(), JSON.stringify(data)).toBeGreaterThan(old);
  }
});

test('a reader confirmed after a slot passed is not recorded as having missed it', async () => {
  const r = await reader({ timezone: 'Europe/Berlin', deliveryHour: 8 });
  await h.db.subscriber.update({
    where: { id: r.id },
    data: { confirmedAt: new Date('2026-11-20T20:00:00Z') },
  });
  expect(await tick('2026-11-20T20:01:00Z')).toMatchObject({ missed: 0 });
  expect(await h.db.delivery.count()).toBe(0);
});

test('a tick with nobody due loads no papers', async () => {
  await freshPapers('2026-11-20T07:00:00Z');
  await reader({ timezone: 'Europe/Berlin', deliveryHour: 8 });
  expect(await tick('2026-11-20T06:00:00Z')).toMatchObject({ candidatePapers: 0, planned: 0, sent: 0 });
});

test('the manual run still sends the date to every active reader, whatever their hour', async () => {
  await freshPapers('2026-11-20T03:00:00Z');
  const early = await reader({ timezone: 'Pacific/Chatham', deliveryHour: 23 });
  const late = await reader({ timezone: 'America/New_York', deliveryHour: 23 });
  h.setNow(new Date('2026-11-20T03:00:00Z'));
  expect(await runDigest(h.deps, { date: '2026-11-20' })).toMatchObject({ sent: 2 });
  expect(await datesOf(early.id)).toEqual(['2026-11-20']);
  expect(await datesOf(late.id)).toEqual(['2026-11-20']);
});
