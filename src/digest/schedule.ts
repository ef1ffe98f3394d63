import { LRUCache } from 'lru-cache';

/** How often a reader gets a digest: every day, Monday to Friday (local), or one chosen weekday. */
export type Frequency = 'daily' | 'weekdays' | 'weekly';

/** When one reader wants their digest. */
export interface ReaderSchedule {
  /** IANA time zone, e.g. Europe/Berlin. */
  timezone: string;
  /** Local hour, 0–23. */
  deliveryHour: number;
  frequency: Frequency;
  /** Local day of the week for `weekly` (0 = Sunday … 6 = Saturday); ignored otherwise. */
  deliveryWeekday: number;
}

/**
 * The reader's most recent delivery slot at `now`: `due` while it is at most the lateness past its
 * time, `missed` after that (to be recorded as skipped, never sent).
 */
export interface ScheduleDecision {
  status: 'due' | 'missed';
  /** The reader's local date of the slot, `YYYY-MM-DD`: the digest date. */
  localDate: string;
  /** The instant of the slot: the first instant the local clock shows the delivery hour or later. */
  deliverAt: Date;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
// The longest a slot can lie in the past: a weekly reader whose weekday is today but whose hour has not come.
const LOOKBACK_DAYS = 7;

/** Whether the reader wants a digest on local date `date` (`YYYY-MM-DD`). */
export function isDeliveryDay(
  schedule: Pick<ReaderSchedule, 'frequency' | 'deliveryWeekday'>,
  date: string,
): boolean {
  return deliversOn(schedule, weekdayOf(date));
}

function deliversOn(
  schedule: Pick<ReaderSchedule, 'frequency' | 'deliveryWeekday'>,
  weekday: number,
): boolean {
  if (schedule.frequency === 'weekdays') return weekday >= 1 && weekday <= 5;
  if (schedule.frequency === 'weekly') return weekday === schedule.deliveryWeekday;
  return true;
}

/**
 * Whether the reader is due at `now` and for which local date: the latest slot (a delivery day at the
 * delivery hour) that has come is `due` when `now` is at most `maxLatenessHours` past it, else `missed`.
 */
export function scheduleDecision(
  schedule: ReaderSchedule,
  now: Date,
  maxLatenessHours: number,
): ScheduleDecision {
  return decide(schedule, localWeek(localDateOf(now, schedule.timezone)), now, maxLatenessHours);
}

/** The local dates a slot can lie on, today first, with their weekdays. */
interface LocalWeek {
  dates: string[];
  weekdays: number[];
}

function localWeek(today: string): LocalWeek {
  const dates = Array.from({ length: LOOKBACK_DAYS + 1 }, (_, back) => addDays(today, -back));
  return { dates, weekdays: dates.map(weekdayOf) };
}

function decide(
  schedule: ReaderSchedule,
  week: LocalWeek,
  now: Date,
  maxLatenessHours: number,
): ScheduleDecision {
  for (let back = 0; back <= LOOKBACK_DAYS; back++) {
    if (!deliversOn(schedule, week.weekdays[back] as number)) continue;
    const date = week.dates[back] as string;
    const deliverAt = slotInstant(schedule.timezone, date, schedule.deliveryHour);
    if (deliverAt.getTime() > now.getTime()) continue;
    const late = now.getTime() - deliverAt.getTime() > maxLatenessHours * HOUR_MS;
    return { status: late ? 'missed' : 'due', localDate: date, deliverAt };
  }
  // Every frequency has a delivery day in any eight consecutive days, and a slot of eight days ago has come.
  throw new Error(`no delivery slot in the last ${LOOKBACK_DAYS} days for ${schedule.timezone}`);
}

/** `YYYY-MM-DD` of `instant` on the wall calendar of `timezone`. */
export function localDateOf(instant: Date, timezone: string): string {
  const wall = wallClock(instant.getTime(), timezone);
  return isoDay(Date.UTC(wall.year, wall.month - 1, wall.day));
}

/**
 * The 24 slot instants (ms) of each (time zone, local date) asked for, computed together: a tick
 * asks for every hour of the last eight dates of every zone in use, each tick. Kept per hour, the
 * old cache's 50,000 entries were fewer than the 80,000 a tick over all 418 zones needs: it was
 * cleared on every tick, and the slots cost ~3.5 s of CPU per tick. Eight dates of every zone fit.
 */
const daySlots = new LRUCache<string, Float64Array>({ max: 5_000 });

/**
 * The first instant at which the local clock of `timezone` on `date` shows `hour`:00 or later. In the
 * repeated hour of a fall-back day that is its first occurrence; in the skipped hour of a
 * spring-forward day it is the moment the clocks jump.
 */
export function slotInstant(timezone: string, date: string, hour: number): Date {
  const key = `${timezone}|${date}`;
  let slots = daySlots.get(key);
  if (!slots) {
    slots = Float64Array.from({ length: 24 }, (_, h) => computeSlot(timezone, date, h));
    daySlots.set(key, slots);
  }
  return new Date(slots[hour] as number);
}

function computeSlot(timezone: string, date: string, hour: number): number {
  const [year = 0, month = 1, day = 1] = date.split('-').map(Number);
  const wanted = Date.UTC(year, month - 1, day, hour);
  // The offsets in force a day either side cover any transition near the wanted wall time.
  const before = wanted - offsetAt(wanted - DAY_MS, timezone);
  const after = wanted - offsetAt(wanted + DAY_MS, timezone);
  const matches = [before, after].filter((t) => wallTime(t, timezone) === wanted).sort((a, b) => a - b);
  if (matches[0] !== undefined) return matches[0];
  // The wanted wall time does not exist (clocks jumped over it): find the jump, to the minute.
  let low = Math.min(before, after);
  let high = Math.max(before, after);
  while (high - low > 60_000) {
    const mid = low + Math.max(60_000, Math.floor((high - low) / 120_000) * 60_000);
    if (wallTime(mid, timezone) >= wanted) high = mid;
    else low = mid;
  }
  return high;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let format = formatters.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timezone, format);
  }
  return format;
}

function wallClock(instant: number, timezone: string): Wall {
  const parts: Record<string, number> = {};
  for (const part of formatter(timezone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** The local wall time at `instant`, as milliseconds of a UTC clock showing the same digits. */
function wallTime(instant: number, timezone: string): number {
  const w = wallClock(instant, timezone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

function offsetAt(instant: number, timezone: string): number {
  const whole = instant - (instant % 1000);
  return wallTime(whole, timezone) - whole;
}

function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

function addDays(date: string, days: number): string {
  return isoDay(new Date(`${date}T00:00:00Z`).getTime() + days * DAY_MS);
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** One delivery hour of a {@link SlotGroup}: its instant and which frequencies share the group's decision. */
export interface SlotHour {
  deliveryHour: number;
  deliverAt: Date;
  daily: boolean;
  weekdays: boolean;
  /** Weekdays of weekly readers at this hour (0 = Sunday … 6). */
  weeklyOn: number[];
}

/** The readers of one time zone who share one decision at `now`: its status and local date, by hour. */
export interface SlotGroup {
  status: 'due' | 'missed';
  localDate: string;
  hours: SlotHour[];
}

const WEEKLY_DAYS = [0, 1, 2, 3, 4, 5, 6];

/**
 * Every decision {@link scheduleDecision} can make at `now` for a reader in `timezone`, grouped by
 * status and local date, so readers can be selected by (time zone, hour, frequency) in a few queries.
 */
export function zoneSlotGroups(timezone: string, now: Date, maxLatenessHours: number): SlotGroup[] {
  const week = localWeek(localDateOf(now, timezone));
  const groups = new Map<string, SlotGroup>();
  for (let deliveryHour = 0; deliveryHour < 24; deliveryHour++) {
    const variants: { frequency: Frequency; deliveryWeekday: number }[] = [
      { frequency: 'daily', deliveryWeekday: 1 },
      { frequency: 'weekdays', deliveryWeekday: 1 },
      ...WEEKLY_DAYS.map((deliveryWeekday) => ({ frequency: 'weekly' as const, deliveryWeekday })),
    ];
    for (const variant of variants) {
      const decision = decide({ timezone, deliveryHour, ...variant }, week, now, maxLatenessHours);
      const key = `${decision.status}|${decision.localDate}`;
      const group = groups.get(key) ?? { status: decision.status, localDate: decision.localDate, hours: [] };
      groups.set(key, group);
      let hour = group.hours.find((h) => h.deliveryHour === deliveryHour);
      if (!hour) {
        hour = { deliveryHour, deliverAt: decision.deliverAt, daily: false, weekdays: false, weeklyOn: [] };
        group.hours.push(hour);
      }
      if (variant.frequency === 'weekly') hour.weeklyOn.push(variant.deliveryWeekday);
      else hour[variant.frequency] = true;
    }
  }
  return [...groups.values()];
}
