import type { Deps } from './deps.ts';
import { pendingMigrations } from './migrate.ts';
import { pingDatabase } from './ops.queries.ts';

/** One readiness check: `ok`, or the reason it is not. */
export interface Check {
  ok: boolean;
  error?: string;
}

/** What /readyz answers: each check by name, and `ok` only when every one is. */
export interface Readiness {
  status: 'ok' | 'fail';
  checks: {
    database: Check;
    migrations: Check & { pending?: string[] };
    smtp: Check;
  };
}

/** How readiness is checked; the defaults suit a probe every few seconds. */
export interface ReadinessOptions {
  /** The migrations this code expects (default: the committed `prisma/migrations`). */
  migrationsDir?: string;
  /** How long the database may take to answer (default 2 s). */
  databaseTimeoutMs?: number;
  /** How long the SMTP relay may take to greet us (default 5 s). */
  smtpTimeoutMs?: number;
  /** How long one SMTP result is reused (default 10 s), so frequent probes do not each open a connection. */
  smtpCacheMs?: number;
}

/** Rejects with "`what` did not answer within N ms" unless `promise` settles first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** An error as one short line: driver errors span lines, and their last line names the cause. */
function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n').map((line) => line.trim());
  return (lines.filter(Boolean).at(-1) ?? 'failed').slice(0, 300);
}

/** Runs `fn` into a Check: ok when it resolves, its error message when it rejects. */
async function check(fn: () => Promise<unknown>): Promise<Check> {
  try {
    await fn();
    return { ok: true };
  } catch (error) {
    return { ok: false, error: reason(error) };
  }
}

/**
 * Builds the readiness check for one process: the database answers, every committed migration
 * is applied, and the SMTP relay greets us. The SMTP result is cached (and shared by concurrent
 * probes) for `smtpCacheMs` on the process's monotonic clock.
 */
export function createReadinessCheck(
  deps: Pick<Deps, 'db' | 'mailer'>,
  options: ReadinessOptions = {},
): () => Promise<Readiness> {
  const { migrationsDir, databaseTimeoutMs = 2000, smtpTimeoutMs = 5000, smtpCacheMs = 10_000 } = options;
  let smtp: { at: number; result: Promise<Check> } | undefined;
  const smtpCheck = () => {
    const at = performance.now();
    if (!smtp || at - smtp.at >= smtpCacheMs) {
      smtp = { at, result: check(() => withTimeout(deps.mailer.verify(), smtpTimeoutMs, 'SMTP relay')) };
    }
    return smtp.result;
  };
  const migrationsCheck = async (): Promise<Readiness['checks']['migrations']> => {
    try {
      const pending = await withTimeout(
        pendingMigrations(deps.db, migrationsDir),
        databaseTimeoutMs,
        'database',
      );
      if (pending.length === 0) return { ok: true, pending };
      return {
        ok: false,
        pending,
        error: `${pending.length} migration(s) not applied; run paperboy migrate`,
      };
    } catch (error) {
      return { ok: false, error: reason(error) };
    }
  };
  return async () => {
    const [database, migrations, smtpResult] = await Promise.all([
      check(() => withTimeout(pingDatabase(deps.db), databaseTimeoutMs, 'database')),
      migrationsCheck(),
      smtpCheck(),
    ]);
    const checks = { database, migrations, smtp: smtpResult };
    const ok = database.ok && migrations.ok && smtpResult.ok;
    return { status: ok ? 'ok' : 'fail', checks };
  };
}
