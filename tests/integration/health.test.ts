import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { openDatabase } from '../../src/db.ts';
import type { Deps } from '../../src/deps.ts';
import { createReadinessCheck, type Readiness } from '../../src/health.ts';
import { createApp } from '../../src/http/app.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { closedPort, serveApp } from '../helpers/serve.ts';

const MIGRATIONS = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** Runs `fn` against the real app built on `deps` (and options), served on its own port. */
async function withApp<T>(
  deps: Deps,
  options: Parameters<typeof createApp>[1],
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const served = await serveApp(createApp(deps, options));
  try {
    return await fn(served.url);
  } finally {
    await served.close();
  }
}

test('/healthz answers 200 {"status":"ok"} without touching anything else', async () => {
  const res = await fetch(`${h.baseUrl}/healthz`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(await res.json()).toEqual({ status: 'ok' });
});

test('/readyz is 200 and names the database, migrations and SMTP checks when all pass', async () => {
  const res = await fetch(`${h.baseUrl}/readyz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    status: 'ok',
    checks: { database: { ok: true }, migrations: { ok: true, pending: [] }, smtp: { ok: true } },
  });
});

test('/readyz is 503 and names SMTP when the relay is unreachable', async () => {
  const mailer = createMailer(`smtp://127.0.0.1:${await closedPort()}`, h.deps.config.mailFrom);
  try {
    await withApp({ ...h.deps, mailer }, {}, async (url) => {
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as Readiness;
      expect(body.status).toBe('fail');
      expect(body.checks.database).toEqual({ ok: true });
      expect(body.checks.migrations).toEqual({ ok: true, pending: [] });
      expect(body.checks.smtp.ok).toBe(false);
      expect(body.checks.smtp.error).toMatch(/ECONNREFUSED/);
    });
  } finally {
    mailer.close();
  }
});

test('/readyz is 503 and names the database (and so the migrations) when PostgreSQL is unreachable', async () => {
  const database = await openDatabase(`postgresql://postgres@127.0.0.1:${await closedPort()}/nowhere`, '');
  try {
    await withApp({ ...h.deps, db: database.prisma }, {}, async (url) => {
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as Readiness;
      expect(body.checks.database.ok).toBe(false);
      expect(body.checks.database.error).toMatch(/reach database server|ECONNREFUSED/);
      expect(body.checks.database.error).not.toContain('\n');
      expect(body.checks.migrations.ok).toBe(false);
      expect(body.checks.smtp).toEqual({ ok: true });
    });
  } finally {
    await database.close();
  }
});

test('/readyz is 503 and names each migration the code has and the database has not applied', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'paperboy-migrations-'));
  cpSync(MIGRATIONS, dir, { recursive: true });
  const newer = '29990101000000_from_a_newer_release';
  mkdirSync(path.join(dir, newer));
  writeFileSync(path.join(dir, newer, 'migration.sql'), 'SELECT 1;');
  await withApp(h.deps, { migrationsDir: dir }, async (url) => {
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Readiness;
    expect(body.checks.migrations).toMatchObject({ ok: false, pending: [newer] });
    expect(body.checks.migrations.error).toMatch(/1 migration\(s\) not applied/);
    expect(body.checks.database).toEqual({ ok: true });
  });
});

test('readiness reuses one SMTP check for its cache period instead of connecting on every probe', async () => {
  // A "relay" that counts connections and hangs up, so every verify fails fast and visibly.
  const connections: Socket[] = [];
  const relay = createServer((socket) => {
    connections.push(socket);
    socket.destroy();
  });
  relay.listen(0, '127.0.0.1');
  await new Promise((resolve) => relay.once('listening', resolve));
  const { port } = relay.address() as { port: number };
  const mailer = createMailer(`smtp://127.0.0.1:${port}`, h.deps.config.mailFrom);
  try {
    const ready = createReadinessCheck({ db: h.db, mailer }, { smtpCacheMs: 300 });
    const first = await Promise.all([ready(), ready(), ready()]);
    expect(await ready()).toEqual(first[0]);
    for (const report of first) expect(report.checks.smtp.ok).toBe(false);
    expect(connections).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await ready();
    expect(connections).toHaveLength(2);
  } finally {
    mailer.close();
    await new Promise((resolve) => relay.close(resolve));
  }
});
