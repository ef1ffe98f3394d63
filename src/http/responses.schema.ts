// The JSON the API answers with. The OpenAPI document is generated from these (and from the
// request schemas), and tests/integration/openapi.test.ts checks real answers against it.
import { z } from 'zod';
import type { Readiness } from '../health.ts';
import type { TopicSummary } from '../topics/topics.queries.ts';

/** Every refused request: a stable `code`, a one-line `message`, and the `field` at fault when there is one. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().meta({ examples: ['bad_request', 'not_found', 'too_many_requests'] }),
    message: z.string(),
    field: z.string().optional().meta({ description: 'the request field to fix (400 only)' }),
  }),
});

/** POST /api/subscriptions: the same answer for every valid request, whoever the address belongs to. */
export const SubscribeAcceptedSchema = z.object({
  status: z.literal('pending_confirmation'),
  message: z.string(),
});

/** GET /api/topics. */
export const TopicListSchema = z.object({
  topics: z.array(
    z.object({
      slug: z.string().regex(/^[a-z0-9-]{1,64}$/),
      name: z.string(),
      group: z.string(),
      description: z.string(),
    }),
  ),
});

const timestamp = z.iso.datetime();
const subscriberStatus = z.enum(['pending', 'active', 'paused', 'unsubscribed', 'bounced', 'complained']);
const deliveryStatus = z.enum(['planned', 'sending', 'sent', 'failed', 'bounced', 'skipped']);

/** GET /manage/data: "Download my data", everything stored about the reader. */
export const MyDataSchema = z.object({
  exportedAt: timestamp,
  email: z.email(),
  status: subscriberStatus,
  timezone: z.string(),
  deliveryHour: z.int().min(0).max(23),
  frequency: z.enum(['daily', 'weekdays', 'weekly']),
  deliveryWeekday: z.int().min(0).max(6).meta({ description: '0 is Sunday; used when frequency is weekly' }),
  maxPapers: z.int().min(1),
  createdAt: timestamp,
  confirmedAt: timestamp.nullable(),
  unsubscribedAt: timestamp.nullable(),
  topics: z.array(z.string()),
  interests: z.array(z.string()),
  authors: z.array(z.string()),
  excludes: z.array(z.string()),
  consentEvents: z.array(
    z.object({
      kind: z.string(),
      at: timestamp,
      ip: z.string().nullable(),
      userAgent: z.string().nullable(),
      detail: z.unknown().meta({ description: 'what changed, when the event records a change' }),
    }),
  ),
  deliveries: z.array(
    z.object({
      digestDate: z.iso.date(),
      status: deliveryStatus,
      sentAt: timestamp.nullable(),
      papers: z.array(z.object({ paperId: z.string(), why: z.string() })),
    }),
  ),
});

/** GET /healthz. */
export const HealthSchema = z.object({ status: z.literal('ok') });

const CheckSchema = z.object({ ok: z.boolean(), error: z.string().optional() });

/** GET /readyz: 200 when every check is ok, else 503 with the failing checks' errors. */
export const ReadinessSchema = z.object({
  status: z.enum(['ok', 'fail']),
  checks: z.object({
    database: CheckSchema,
    migrations: CheckSchema.extend({
      pending: z.array(z.string()).optional().meta({ description: 'migrations not applied yet' }),
    }),
    smtp: CheckSchema,
  }),
});

/** Compile-time proof that what a handler sends fits what its schema documents. */
type Fits<Sent extends Documented, Documented> = [Sent, Documented];

/** tsc fails here if the topic list or the readiness report drift from their schemas. */
export type DocumentedShapes = [
  Fits<{ topics: TopicSummary[] }, z.output<typeof TopicListSchema>>,
  Fits<Readiness, z.output<typeof ReadinessSchema>>,
];
