import type { z } from 'zod';
import { LinkRequestSchema, PreferencesSchema } from '../subscribers/subscribe.schema.ts';
import type { PreferenceValues } from '../subscribers/subscribers.queries.ts';

/**
 * The columns of a subscriber CSV, in the order `export` writes them. `import` needs `email` and
 * takes any of the others; they are validated by the preferences page's own schema.
 */
export const COLUMNS = [
  'email',
  'topics',
  'interests',
  'authors',
  'excludes',
  'timezone',
  'delivery_hour',
  'frequency',
  'delivery_weekday',
  'max_papers',
] as const;

/** One column of a subscriber CSV. */
export type Column = (typeof COLUMNS)[number];

/** Separates the entries of a list column (topics, interests, authors, excludes). */
export const LIST_SEPARATOR = ';';

/** Which schema field each column fills (and names in the schema's errors). */
const FIELDS: Record<Column, string> = {
  email: 'email',
  topics: 'topics',
  interests: 'interests',
  authors: 'authors',
  excludes: 'excludes',
  timezone: 'timezone',
  delivery_hour: 'deliveryHour',
  frequency: 'frequency',
  delivery_weekday: 'deliveryWeekday',
  max_papers: 'maxPapers',
};
const COLUMN_OF = new Map(Object.entries(FIELDS).map(([column, field]) => [field, column]));

/** A valid row: the address and the preferences it starts with (every one of them set). */
export interface SubscriberRow extends Required<PreferenceValues> {
  email: string;
}

const list = (cell: string | undefined): string[] =>
  (cell ?? '')
    .split(LIST_SEPARATOR)
    .map((entry) => entry.trim())
    .filter(Boolean);

// An imported reader may have no topics yet: they choose them after confirming. Every other rule
// is the preferences page's.
const WithoutTopics = PreferencesSchema.omit({ topics: true });

function problems(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${COLUMN_OF.get(String(issue.path[0] ?? '')) ?? 'row'}: ${issue.message}`)
    .join('; ');
}

/**
 * Validates one CSV row (cells by column; empty cells take the defaults) against the same rules as
 * the subscribe form and the preferences page; `knownTopics` are the topic slugs that exist.
 */
export function parseSubscriberRow(
  cells: Partial<Record<Column, string>>,
  knownTopics: ReadonlySet<string>,
): { row: SubscriberRow } | { error: string } {
  const email = LinkRequestSchema.safeParse({ email: cells.email?.trim() ?? '' });
  if (!email.success) return { error: problems(email.error) };
  const input: Record<string, unknown> = {
    topics: list(cells.topics),
    interests: list(cells.interests),
    authors: list(cells.authors),
    excludes: list(cells.excludes),
  };
  for (const column of [
    'timezone',
    'delivery_hour',
    'frequency',
    'delivery_weekday',
    'max_papers',
  ] as const) {
    const cell = cells[column]?.trim();
    if (cell) input[FIELDS[column]] = cell;
  }
  const { topics: _topics, ...rest } = input;
  const parsed =
    list(cells.topics).length > 0 ? PreferencesSchema.safeParse(input) : WithoutTopics.safeParse(rest);
  if (!parsed.success) return { error: problems(parsed.error) };
  const { paused: _paused, ...prefs } = { topics: [] as string[], ...parsed.data };
  const unknown = prefs.topics.filter((slug) => !knownTopics.has(slug));
  if (unknown.length > 0)
    return { error: `topics: unknown topic ${unknown.map((s) => `"${s}"`).join(', ')}` };
  return { row: { email: email.data.email, ...prefs } };
}

/** A stored reader as a CSV record in `COLUMNS` order, which `parseSubscriberRow` reads back unchanged. */
export function subscriberRecord(reader: SubscriberRow): string[] {
  const join = (values: string[]) => values.join(`${LIST_SEPARATOR} `);
  return [
    reader.email,
    join(reader.topics),
    join(reader.interests),
    join(reader.authors),
    join(reader.excludes),
    reader.timezone,
    String(reader.deliveryHour),
    reader.frequency,
    String(reader.deliveryWeekday),
    String(reader.maxPapers),
  ];
}
