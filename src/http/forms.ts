import type { Request } from 'express';
import { AppError } from '../errors.ts';
import type { TopicSummary } from '../topics/topics.queries.ts';

/** The parsed form body, or an empty one (a request with no or an unreadable body). */
export const formBody = (req: Request): Record<string, unknown> =>
  req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};

/** A repeated form field (checkboxes) as a list. */
export const asList = (value: unknown): unknown[] =>
  value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value];

/** A text area's non-empty lines, trimmed. */
export const lines = (value: unknown): string[] =>
  typeof value === 'string'
    ? value
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean)
    : [];

const optional = (key: string, value: unknown) =>
  value !== undefined && value !== '' ? { [key]: value } : {};

/** The landing form's fields as SubscribeSchema's shape. */
export function formToSubscribe(body: Record<string, unknown>) {
  return {
    email: body.email,
    topics: asList(body.topics),
    interests: lines(body.interests),
    authors: lines(body.authors),
    ...optional('timezone', body.timezone),
    ...optional('deliveryHour', body.deliveryHour),
  };
}

/** The manage form's fields as PreferencesSchema's shape. */
export function formToPreferences(body: Record<string, unknown>) {
  return {
    topics: asList(body.topics),
    interests: lines(body.interests),
    authors: lines(body.authors),
    excludes: lines(body.excludes),
    timezone: body.timezone,
    deliveryHour: body.deliveryHour,
    ...optional('frequency', body.frequency),
    ...optional('deliveryWeekday', body.deliveryWeekday),
    ...optional('maxPapers', body.maxPapers),
    paused: body.paused === 'on' || body.paused === 'true',
  };
}

/** A refused form's problem keyed by the form field it belongs next to; null when `error` is not a form error. */
export function fieldErrors(error: unknown): Record<string, string> | null {
  if (!(error instanceof AppError) || (error.status !== 400 && error.status !== 403)) return null;
  const field = String(error.details?.field ?? 'form').split('.')[0] ?? 'form';
  return { [field]: error.message };
}

/** The 24 delivery hours as select options. */
export const hourOptions = (selected: unknown) =>
  Array.from({ length: 24 }, (_, hour) => ({
    hour,
    label: `${String(hour).padStart(2, '0')}:00`,
    selected: String(hour) === String(selected),
  }));

/** Topics grouped for the picker, each marked when it is among `selected`. */
export function groupTopics(topics: TopicSummary[], selected: unknown[]) {
  const groups = new Map<string, (TopicSummary & { checked: boolean })[]>();
  for (const topic of topics) {
    const list = groups.get(topic.group) ?? [];
    list.push({ ...topic, checked: selected.includes(topic.slug) });
    groups.set(topic.group, list);
  }
  return [...groups].map(([name, items]) => ({ name, topics: items }));
}

let zones: string[] | undefined;
/** Every IANA time zone this runtime knows, for the time zone field's suggestions. */
export function timezones(): string[] {
  zones ??= ['UTC', ...Intl.supportedValuesOf('timeZone').filter((zone) => zone !== 'UTC')];
  return zones;
}

/** A link safe to put in an href: only http(s), else null. */
export const safeUrl = (url: string | null | undefined): string | null =>
  url && /^https?:\/\//i.test(url) ? url : null;

/** A link's token arrives in the query string (the link itself) or in the form its page posts. */
export function tokenOf(req: Request): unknown {
  return req.query.token ?? formBody(req).token;
}
