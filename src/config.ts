import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';

/** The paper sources an operator can enable in SOURCES (and name in `ingest --source`). */
export const SOURCE_NAMES = ['huggingface', 'arxiv', 'arxiv-rss'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** Thrown when the environment does not describe a runnable configuration; one line per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Whether `zone` is an IANA timezone this runtime knows. */
export const isTimezone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/** A comma-separated list, trimmed, empty items dropped. */
const commaList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );

/** A whole number from `min` to `max`, read from a string; the message names the range. */
function wholeNumber(min: number, max: number) {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must start with postgresql:// (unset it to use the embedded database)')
      .optional(),
  ),
  SMTP_URL: optionalString.pipe(
    z
      .string()
      .regex(/^smtps?:\/\/[^/]+/, 'must look like smtp://user:pass@host:587 or smtps://host:465')
      .optional(),
  ),
  MAIL_FROM: z.string().default('Paperboy <paperboy@localhost>'),
  PUBLIC_URL: optionalString.pipe(httpUrl.optional()),
  SECRET_KEY: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  SECRET_KEY_FILE: optionalString,
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  CAPTURE_SMTP_PORT: z.coerce.number().int().min(0).max(65535).default(2525),
  DIGEST_CRON: z
    .string()
    .default('0 8 * * *')
    .refine((expr) => cron.validate(expr), 'is not a valid cron expression (e.g. "0 8 * * *")'),
  DIGEST_TIMEZONE: z
    .string()
    .default('UTC')
    .refine(isTimezone, 'is not an IANA timezone (e.g. Europe/Berlin)'),
  SCHEDULE_TICK_CRON: z
    .string()
    .default('* * * * *')
    .refine((expr) => cron.validate(expr), 'is not a valid cron expression (e.g. "* * * * *")'),
  MAX_LATENESS_HOURS: z.coerce
    .number()
    .int({ error: 'must be a whole number of hours from 1 to 168' })
    .min(1, { error: 'must be a whole number of hours from 1 to 168' })
    .max(168, { error: 'must be a whole number of hours from 1 to 168' })
    .default(6),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  TRUST_PROXY: z.enum(['true', 'false']).default('false'),
  SOURCES: commaList('huggingface,arxiv').pipe(
    z.array(z.enum(SOURCE_NAMES, { error: `must list sources among ${SOURCE_NAMES.join(', ')}` })),
  ),
  HF_API_URL: httpUrl.default('https://huggingface.co'),
  ARXIV_API_URL: httpUrl.default('http://export.arxiv.org'),
  ARXIV_RSS_URL: httpUrl.default('https://rss.arxiv.org'),
  ARXIV_CATEGORIES: commaList('cs.LG,cs.CL,cs.CV,stat.ML').pipe(
    z
      .array(
        z
          .string()
          .regex(/^[a-z-]+(\.[A-Za-z-]+)?$/, { error: 'must be arXiv categories such as cs.LG,stat.ML' }),
      )
      .min(1, { error: 'must name at least one category' }),
  ),
  ARXIV_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(3000),
  FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  CONTACT_EMAIL: z.email({ error: 'must be an email address' }).optional(),
  RANKING_TRENDING_WEIGHT: z.coerce
    .number()
    .min(0, { error: 'must be from 0 to 1' })
    .max(1, { error: 'must be from 0 to 1' })
    .default(0.3),
  RANKING_DIVERSITY: z.coerce
    .number()
    .min(0, { error: 'must be from 0 to 1' })
    .max(1, { error: 'must be from 0 to 1' })
    .default(0.75),
  EMPTY_DIGEST: z.enum(['skip', 'trending'], { error: 'must be skip or trending' }).default('skip'),
  SMTP_MAX_CONNECTIONS: wholeNumber(1, 50).default(5),
  SMTP_RATE_LIMIT: wholeNumber(0, 100_000).default(0),
  SMTP_MAX_ATTEMPTS: wholeNumber(1, 20).default(5),
  SMTP_RETRY_BASE_SECONDS: wholeNumber(0, 86_400).default(60),
  SMTP_BREAKER_COOLDOWN_SECONDS: wholeNumber(1, 3600).default(30),
  SENDING_TIMEOUT_SECONDS: wholeNumber(1, 86_400).default(600),
  WORKER_BATCH_SIZE: wholeNumber(1, 1000).default(100),
  METRICS_PORT: wholeNumber(0, 65535).optional(),
  LIST_ID: optionalString,
  LIST_UNSUBSCRIBE_MAILTO: z.email({ error: 'must be an email address' }).optional(),
  DKIM_DOMAIN: optionalString,
  DKIM_SELECTOR: optionalString,
  DKIM_PRIVATE_KEY: optionalString,
  DKIM_PRIVATE_KEY_FILE: optionalString,
});

/** Every environment variable Paperboy reads (for .env.example and the deployment checks). */
export const ENV_VARS: readonly string[] = Object.keys(EnvSchema.shape);

/** The validated configuration every entry point passes down. */
export interface Config {
  env: 'development' | 'production' | 'test';
  dataDir: string;
  databaseUrl: string | undefined;
  smtpUrl: string | undefined;
  capturePort: number;
  mailFrom: string;
  publicUrl: string;
  secretKey: string;
  host: string;
  port: number;
  /** When the scheduler ingests the day's papers (once per UTC day), read in `digestTimezone`. */
  digestCron: string;
  digestTimezone: string;
  /** The scheduler's tick: plans and sends every reader whose local delivery time has come. */
  scheduleTickCron: string;
  /** Past this many hours after a reader's delivery time, that day is recorded as missed, not sent. */
  maxLatenessHours: number;
  /** Unset means each entry point's own default (info for services, warn for one-shot commands). */
  logLevel: string | undefined;
  trustProxy: boolean;
  /** How digests are ranked (README "Ranking"). */
  ranking: {
    trendingWeight: number;
    diversity: number;
    /** With no matching paper: send nothing (`skip`), or today's top trending, labelled so (`trending`). */
    emptyDigest: 'skip' | 'trending';
  };
  sources: {
    enabled: SourceName[];
    huggingFaceUrl: string;
    arxivApiUrl: string;
    arxivRssUrl: string;
    arxivCategories: string[];
    /** arXiv's terms: one request every 3 s; lower it only for a mirror or a test server. */
    arxivMinIntervalMs: number;
    timeoutMs: number;
    /** Who to tell when our fetching misbehaves; goes in the User-Agent. */
    contact: string;
  };
  /** How workers send (README "Delivery"). */
  delivery: DeliveryConfig;
  /** Where a process without HTTP (the worker) serves /metrics; unset: nowhere. */
  metricsPort: number | undefined;
}

/** SMTP and queue settings of the send workers. */
export interface DeliveryConfig {
  /** Connections in each worker's SMTP pool, and so messages in flight per worker. */
  maxConnections: number;
  /** Messages per second per worker; 0 is no limit. */
  ratePerSecond: number;
  /** Attempts before a temporary failure (4xx, network) becomes `failed`. */
  maxAttempts: number;
  /** The first retry's delay; each next one doubles, with jitter. */
  retryBaseMs: number;
  /** How long the circuit breaker pauses sending when the relay keeps failing. */
  breakerCooldownMs: number;
  /** A row still `sending` this long after it was claimed belongs to a worker that died. */
  sendingTimeoutMs: number;
  /** Deliveries a worker claims at a time. */
  batchSize: number;
  /** A planned row not sent this long after it was planned is dropped (`skipped`): MAX_LATENESS_HOURS. */
  expireAfterMs: number;
  /** The List-Id header's value, e.g. `Paperboy digest <digest.papers.example.com>`. */
  listId: string;
  /** Adds a mailto: to List-Unsubscribe when set. */
  unsubscribeMailto: string | undefined;
  dkim: { domainName: string; keySelector: string; privateKey: string } | undefined;
}

/**
 * Reads and validates the environment. Outside production a missing SECRET_KEY is generated once
 * and kept in DATA_DIR so links in earlier emails keep working across restarts.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means unset, for every variable alike (`PORT=` is not port 0).
  const given = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ''),
  );
  const parsed = EnvSchema.safeParse(given);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'} ${issue.message}`),
    );
  }
  const vars = parsed.data;
  const dataDir = path.resolve(vars.DATA_DIR);
  const secretKey = resolveSecretKey(vars.SECRET_KEY, vars.SECRET_KEY_FILE, vars.NODE_ENV, dataDir);
  const publicUrl = (vars.PUBLIC_URL ?? `http://localhost:${vars.PORT}`).replace(/\/+$/, '');
  return {
    env: vars.NODE_ENV,
    dataDir,
    databaseUrl: vars.DATABASE_URL,
    smtpUrl: vars.SMTP_URL,
    capturePort: vars.CAPTURE_SMTP_PORT,
    mailFrom: vars.MAIL_FROM,
    publicUrl,
    secretKey,
    host: vars.HOST,
    port: vars.PORT,
    digestCron: vars.DIGEST_CRON,
    digestTimezone: vars.DIGEST_TIMEZONE,
    scheduleTickCron: vars.SCHEDULE_TICK_CRON,
    maxLatenessHours: vars.MAX_LATENESS_HOURS,
    logLevel: vars.LOG_LEVEL,
    trustProxy: vars.TRUST_PROXY === 'true',
    ranking: {
      trendingWeight: vars.RANKING_TRENDING_WEIGHT,
      diversity: vars.RANKING_DIVERSITY,
      emptyDigest: vars.EMPTY_DIGEST,
    },
    sources: {
      enabled: vars.SOURCES,
      huggingFaceUrl: vars.HF_API_URL,
      arxivApiUrl: vars.ARXIV_API_URL,
      arxivRssUrl: vars.ARXIV_RSS_URL,
      arxivCategories: vars.ARXIV_CATEGORIES,
      arxivMinIntervalMs: vars.ARXIV_MIN_INTERVAL_MS,
      timeoutMs: vars.FETCH_TIMEOUT_MS,
      contact: vars.CONTACT_EMAIL ?? /<([^>]+)>/.exec(vars.MAIL_FROM)?.[1] ?? vars.MAIL_FROM,
    },
    delivery: {
      maxConnections: vars.SMTP_MAX_CONNECTIONS,
      ratePerSecond: vars.SMTP_RATE_LIMIT,
      maxAttempts: vars.SMTP_MAX_ATTEMPTS,
      retryBaseMs: vars.SMTP_RETRY_BASE_SECONDS * 1000,
      breakerCooldownMs: vars.SMTP_BREAKER_COOLDOWN_SECONDS * 1000,
      sendingTimeoutMs: vars.SENDING_TIMEOUT_SECONDS * 1000,
      batchSize: vars.WORKER_BATCH_SIZE,
      expireAfterMs: vars.MAX_LATENESS_HOURS * 3_600_000,
      listId: vars.LIST_ID ?? `Paperboy digest <digest.${new URL(publicUrl).hostname}>`,
      unsubscribeMailto: vars.LIST_UNSUBSCRIBE_MAILTO,
      dkim: resolveDkim(vars),
    },
    metricsPort: vars.METRICS_PORT,
  };
}

/** DKIM signing needs all three of domain, selector and key; some but not all is a mistake worth naming. */
function resolveDkim(vars: z.infer<typeof EnvSchema>): DeliveryConfig['dkim'] {
  const keyFromFile = vars.DKIM_PRIVATE_KEY_FILE;
  if (keyFromFile && !existsSync(keyFromFile))
    throw new ConfigError([`DKIM_PRIVATE_KEY_FILE points at ${keyFromFile}, which does not exist`]);
  const privateKey = vars.DKIM_PRIVATE_KEY ?? (keyFromFile ? readFileSync(keyFromFile, 'utf8') : undefined);
  const given = {
    DKIM_DOMAIN: vars.DKIM_DOMAIN,
    DKIM_SELECTOR: vars.DKIM_SELECTOR,
    DKIM_PRIVATE_KEY: privateKey,
  };
  const missing = Object.entries(given)
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length === 3) return undefined;
  if (missing.length > 0)
    throw new ConfigError([
      `DKIM signing needs ${missing.join(' and ')} too (or unset every DKIM_ variable)`,
    ]);
  if (!privateKey?.includes('PRIVATE KEY'))
    throw new ConfigError(['DKIM_PRIVATE_KEY must be a PEM private key (-----BEGIN PRIVATE KEY-----…)']);
  return { domainName: vars.DKIM_DOMAIN as string, keySelector: vars.DKIM_SELECTOR as string, privateKey };
}

function resolveSecretKey(
  inline: string | undefined,
  file: string | undefined,
  nodeEnv: Config['env'],
  dataDir: string,
): string {
  if (inline) return inline;
  if (file) {
    if (!existsSync(file)) throw new ConfigError([`SECRET_KEY_FILE points at ${file}, which does not exist`]);
    const key = readFileSync(file, 'utf8').trim();
    if (key.length < 32) throw new ConfigError(['SECRET_KEY_FILE must contain at least 32 characters']);
    return key;
  }
  if (nodeEnv === 'production') {
    throw new ConfigError([
      'SECRET_KEY is required in production (32+ random characters; or SECRET_KEY_FILE)',
    ]);
  }
  const keyFile = path.join(dataDir, 'secret-key');
  if (existsSync(keyFile)) return readFileSync(keyFile, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  return key;
}
