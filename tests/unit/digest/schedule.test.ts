import { describe, expect, test } from 'vitest';
import {
  type Frequency,
  localDateOf,
  type ReaderSchedule,
  scheduleDecision,
  slotInstant,
  zoneSlotGroups,
} from '../../../src/digest/schedule.ts';

const reader = (
  timezone: string,
  deliveryHour: number,
  frequency: Frequency = 'daily',
  deliveryWeekday = 1,
): ReaderSchedule => ({ timezone, deliveryHour, frequency, deliveryWeekday });

describe('slotInstant', () => {
  test.each([
    ['Europe/Berlin', '2026-11-20', 8, '2026-11-20T07:00:00Z'],
    ['Europe/Berlin', '2026-07-01', 8, '2026-07-01T06:00:00Z'],
    ['America/New_York', '2026-11-20', 7, '2026-11-20T12:00:00Z'],
    ['Asia/Kolkata', '2026-11-20', 8, '2026-11-20T02:30:00Z'],
    ['Pacific/Chatham', '2026-11-20', 8, '2026-11-19T18:15:00Z'],
    // Spring forward: 02:00 does not exist; the slot is the jump itself (01:00 UTC = 03:00 CEST).
    ['Europe/Berlin', '2026-03-29', 2, '2026-03-29T01:00:00Z'],
    ['America/New_York', '2026-03-08', 2, '2026-03-08T07:00:00Z'],
    // Chatham jumps from 02:45 to 03:45: 03:00 does not exist either.
    ['Pacific/Chatham', '2026-09-27', 3, '2026-09-26T14:00:00Z'],
    // Fall back: the repeated hour's first occurrence.
    ['Europe/Berlin', '2026-10-25', 2, '2026-10-25T00:00:00Z'],
    ['America/New_York', '2026-11-01', 1, '2026-11-01T05:00:00Z'],
    ['Pacific/Chatham', '2026-04-05', 3, '2026-04-04T13:15:00Z'],
  ])('%s %s %i:00 is %s', (zone, date, hour, expected) => {
    expect(slotInstant(zone, date, hour).toISOString()).toBe(new Date(expected).toISOString());
  });
});

describe('scheduleDecision', () => {
  test.each<[string, ReaderSchedule, string, 'due' | 'missed', string]>([
    [
      'Berlin 08:00, at 07:59 local: yesterday is long gone',
      reader('Europe/Berlin', 8),
      '2026-11-20T06:59:00Z',
      'missed',
      '2026-11-19',
    ],
    ['Berlin 08:00, at 08:00 local', reader('Europe/Berlin', 8), '2026-11-20T07:00:00Z', 'due', '2026-11-20'],
    [
      'Berlin 08:00, 6 h late is still due',
      reader('Europe/Berlin', 8),
      '2026-11-20T13:00:00Z',
      'due',
      '2026-11-20',
    ],
    [
      'Berlin 08:00, 6 h 1 min late is missed',
      reader('Europe/Berlin', 8),
      '2026-11-20T13:01:00Z',
      'missed',
      '2026-11-20',
    ],
    [
      'New York 07:00 at 12:00 UTC',
      reader('America/New_York', 7),
      '2026-11-20T12:00:00Z',
      'due',
      '2026-11-20',
    ],
    [
      'New York 22:00: the local date is a UTC day behind',
      reader('America/New_York', 22),
      '2026-11-21T03:30:00Z',
      'due',
      '2026-11-20',
    ],
    ['Kolkata 08:00 is 02:30 UTC', reader('Asia/Kolkata', 8), '2026-11-20T02:30:00Z', 'due', '2026-11-20'],
    [
      'Kolkata 08:00, one minute early',
      reader('Asia/Kolkata', 8),
      '2026-11-20T02:29:00Z',
      'missed',
      '2026-11-19',
    ],
    [
      'Chatham 08:00 is 18:15 UTC the day before',
      reader('Pacific/Chatham', 8),
      '2026-11-19T18:15:00Z',
      'due',
      '2026-11-20',
    ],
    [
      'Chatham 08:00, one minute early',
      reader('Pacific/Chatham', 8),
      '2026-11-19T18:14:00Z',
      'missed',
      '2026-11-19',
    ],
    [
      'Berlin 23:00, 2 h later on the next local day',
      reader('Europe/Berlin', 23),
      '2026-11-21T00:00:00Z',
      'due',
      '2026-11-20',
    ],
    ['weekdays: Friday', reader('Europe/Berlin', 8, 'weekdays'), '2026-11-20T07:00:00Z', 'due', '2026-11-20'],
    [
      'weekdays: Saturday has no slot, Friday is past',
      reader('Europe/Berlin', 8, 'weekdays'),
      '2026-11-21T07:00:00Z',
      'missed',
      '2026-11-20',
    ],
    ['weekdays: Monday', reader('Europe/Berlin', 8, 'weekdays'), '2026-11-23T07:00:00Z', 'due', '2026-11-23'],
    [
      'weekdays by the local day: Monday in Chatham is Sunday in UTC',
      reader('Pacific/Chatham', 8, 'weekdays'),
      '2026-11-22T18:15:00Z',
      'due',
      '2026-11-23',
    ],
    [
      'weekly on Wednesday, on Wednesday',
      reader('Europe/Berlin', 8, 'weekly', 3),
      '2026-11-18T07:00:00Z',
      'due',
      '2026-11-18',
    ],
    [
      'weekly on Wednesday, on Thursday',
      reader('Europe/Berlin', 8, 'weekly', 3),
      '2026-11-19T07:00:00Z',
      'missed',
      '2026-11-18',
    ],
    [
      'weekly on Friday, on Friday before the hour: last week',
      reader('Europe/Berlin', 8, 'weekly', 5),
      '2026-11-20T06:00:00Z',
      'missed',
      '2026-11-13',
    ],
    [
      'spring forward: 02:00 Berlin is due at the jump',
      reader('Europe/Berlin', 2),
      '2026-03-29T01:00:00Z',
      'due',
      '2026-03-29',
    ],
    [
      'spring forward: not a minute before',
      reader('Europe/Berlin', 2),
      '2026-03-29T00:59:00Z',
      'missed',
      '2026-03-28',
    ],
    [
      'fall back: the first 02:00 CEST',
      reader('Europe/Berlin', 2),
      '2026-10-25T00:00:00Z',
      'due',
      '2026-10-25',
    ],
    [
      'fall back: the second 02:00 (CET) is the same slot',
      reader('Europe/Berlin', 2),
      '2026-10-25T01:00:00Z',
      'due',
      '2026-10-25',
    ],
    [
      'fall back in New York: the first 01:00 EDT',
      reader('America/New_York', 1),
      '2026-11-01T05:00:00Z',
      'due',
      '2026-11-01',
    ],
  ])('%s', (_name, schedule, now, status, localDate) => {
    const decision = scheduleDecision(schedule, new Date(now), 6);
    expect({ status: decision.status, localDate: decision.localDate }).toEqual({ status, localDate });
  });

  test('the repeated hour of a fall-back day has one slot instant, so it delivers once', () => {
    const first = scheduleDecision(reader('Europe/Berlin', 2), new Date('2026-10-25T00:30:00Z'), 6);
    const second = scheduleDecision(reader('Europe/Berlin', 2), new Date('2026-10-25T01:30:00Z'), 6);
    expect(second.deliverAt).toEqual(first.deliverAt);
    expect(second.localDate).toBe(first.localDate);
  });

  test('the lateness is a parameter', () => {
    const now = new Date('2026-11-20T09:00:00Z');
    expect(scheduleDecision(reader('Europe/Berlin', 8), now, 1).status).toBe('missed');
    expect(scheduleDecision(reader('Europe/Berlin', 8), now, 3).status).toBe('due');
  });
});

test('localDateOf reads the wall calendar of the zone', () => {
  const now = new Date('2026-11-20T11:00:00Z');
  expect(localDateOf(now, 'Pacific/Chatham')).toBe('2026-11-21');
  expect(localDateOf(now, 'America/New_York')).toBe('2026-11-20');
  expect(localDateOf(new Date('2026-11-20T04:00:00Z'), 'America/New_York')).toBe('2026-11-19');
});

test('zoneSlotGroups agrees with scheduleDecision for every hour and frequency', () => {
  const now = new Date('2026-11-21T08:10:00Z');
  const groups = zoneSlotGroups('Asia/Kolkata', now, 6);
  for (let hour = 0; hour < 24; hour++) {
    for (const [frequency, weekday] of [
      ['daily', 1],
      ['weekdays', 1],
      ['weekly', 0],
      ['weekly', 6],
    ] as const) {
      const decision = scheduleDecision(reader('Asia/Kolkata', hour, frequency, weekday), now, 6);
      const group = groups.find((g) => g.status === decision.status && g.localDate === decision.localDate);
      const slot = group?.hours.find((h) => h.deliveryHour === hour);
      const member = frequency === 'weekly' ? slot?.weeklyOn.includes(weekday) : slot?.[frequency];
      expect(member, `${hour} ${frequency} ${weekday}`).toBe(true);
    }
  }
});
