import { z } from 'zod';
import { isTimezone } from '../config.ts';

/** A whole number from `min` to `max` (form fields arrive as text), with one message for every way to miss. */
const wholeNumber = (min: number, max: number, error: string, fallback: number) =>
  z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(fallback);

/** A list of short phrases: names, words, interests. */
const phrases = (max: number) =>
  z
    .array(z.string().trim().min(1).max(200, { error: 'must each be at most 200 characters' }))
    .max(max, { error: `must be at most ${max} entries` })
    .default([]);

/** A new subscription as the API and the landing form send it. */
export const SubscribeSchema = z.strictObject({
  email: z
    .email({ error: 'must be a valid email address' })
    .max(254, { error: 'must be at most 254 characters' })
    .transform((email) => email.toLowerCase()),
  topics: z
    .array(
      z.string().regex(/^[a-z0-9-]{1,64}$/, { error: 'must be topic slugs such as "graph-neural-networks"' }),
    )
    .min(1, { error: 'must name at least one topic' })
    .max(50)
    .transform((slugs) => [...new Set(slugs)]),
  interests: z
    .array(z.string().trim().min(1).max(500, { error: 'must each be at most 500 characters' }))
    .max(10, { error: 'must be at most 10 entries' })
    .default([]),
  authors: phrases(20),
  timezone: z
    .string()
    .max(64)
    .refine(isTimezone, { error: 'must be an IANA timezone such as Europe/Berlin' })
    .default('UTC'),
  deliveryHour: wholeNumber(0, 23, 'must be a whole hour from 0 to 23', 8),
});

export type SubscribeInput = z.infer<typeof SubscribeSchema>;

/** What a reader can change on the manage page. */
export const PreferencesSchema = z.strictObject({
  topics: SubscribeSchema.shape.topics,
  interests: SubscribeSchema.shape.interests,
  authors: SubscribeSchema.shape.authors,
  excludes: phrases(20),
  timezone: SubscribeSchema.shape.timezone,
  deliveryHour: SubscribeSchema.shape.deliveryHour,
  frequency: z
    .enum(['daily', 'weekdays', 'weekly'], { error: 'must be daily, weekdays or weekly' })
    .default('daily'),
  deliveryWeekday: wholeNumber(0, 6, 'must be a day of the week', 1),
  maxPapers: wholeNumber(3, 25, 'must be a whole number from 3 to 25', 10),
  paused: z.boolean().default(false),
});

export type PreferencesInput = z.infer<typeof PreferencesSchema>;

/** The "email me a link" form: only an address. */
export const LinkRequestSchema = z.strictObject({ email: SubscribeSchema.shape.email });

export type LinkRequestInput = z.infer<typeof LinkRequestSchema>;
