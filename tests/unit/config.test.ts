import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const dataDir = () => mkdtempSync(path.join(tmpdir(), 'paperboy-config-'));
const problemsOf = (env: NodeJS.ProcessEnv): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  test('runs on its defaults: embedded database, capture SMTP, 08:00 UTC digest', () => {
    const config = loadConfig({ DATA_DIR: dataDir() });
    expect(config).toMatchObject({
      env: 'development',
      databaseUrl: undefined,
      smtpUrl: undefined,
      port: 3000,
      publicUrl: 'http://localhost:3000',
      digestCron: '0 8 * * *',
      digestTimezone: 'UTC',
    });
  });

  test('outside production a secret key is generated once and kept in DATA_DIR', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir }).secretKey;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({ DATA_DIR: dir }).secretKey).toBe(first);
    expect(readFileSync(path.join(dir, 'secret-key'), 'utf8').trim()).toBe(first);
  });

  test('production without SECRET_KEY is refused', () => {
    expect(problemsOf({ NODE_ENV: 'production', DATA_DIR: dataDir() })).toEqual([
      expect.stringMatching(/^SECRET_KEY is required in production/),
    ]);
  });

  test.each([
    ['PORT', 'eighty', /^PORT /],
    ['DATABASE_URL', 'mysql://localhost/x', /^DATABASE_URL must start with postgresql:\/\//],
    ['SMTP_URL', 'localhost:25', /^SMTP_URL must look like smtp:\/\//],
    ['DIGEST_CRON', 'every morning', /^DIGEST_CRON is not a valid cron expression/],
    ['DIGEST_TIMEZONE', 'Mars/Olympus', /^DIGEST_TIMEZONE is not an IANA timezone/],
    ['SECRET_KEY', 'short', /^SECRET_KEY must be at least 32 characters/],
    ['PUBLIC_URL', 'ftp://example.com', /^PUBLIC_URL must be an http\(s\) URL/],
    ['NODE_ENV', 'staging', /^NODE_ENV /],
    ['SCHEDULE_TICK_CRON', 'often', /^SCHEDULE_TICK_CRON /],
    ['MAX_LATENESS_HOURS', '0', /^MAX_LATENESS_HOURS /],
    ['SOURCES', 'huggingface,twitter', /^SOURCES\.1 must list sources among huggingface, arxiv, arxiv-rss/],
    ['ARXIV_CATEGORIES', 'cs.LG,not a category', /^ARXIV_CATEGORIES\.1 must be arXiv categories/],
    ['HF_API_URL', 'huggingface.co', /^HF_API_URL must be an http\(s\) URL/],
    ['RANKING_TRENDING_WEIGHT', '1.5', /^RANKING_TRENDING_WEIGHT must be from 0 to 1/],
    ['EMPTY_DIGEST', 'pad', /^EMPTY_DIGEST must be skip or trending/],
    ['CONTACT_EMAIL', 'ops', /^CONTACT_EMAIL must be an email address/],
  ])('a bad %s is one line naming the variable', (name, value, message) => {
    const problems = problemsOf({ DATA_DIR: dataDir(), [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  test('an empty variable means unset, for every variable', () => {
    const config = loadConfig({
      DATA_DIR: dataDir(),
      PORT: '',
      MAIL_FROM: ' ',
      DATABASE_URL: '',
      LOG_LEVEL: '',
    });
    expect(config).toMatchObject({
      port: 3000,
      mailFrom: 'Paperboy <paperboy@localhost>',
      databaseUrl: undefined,
      logLevel: undefined,
    });
  });

  test('every problem is reported at once', () => {
    expect(problemsOf({ DATA_DIR: dataDir(), PORT: '-1', DIGEST_TIMEZONE: 'Nowhere' })).toHaveLength(2);
  });
});
