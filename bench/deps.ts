import { readFileSync } from 'node:fs';
import { openDatabase, type PrismaClient, rawSql } from '../src/db.ts';
import type { Deps } from '../src/deps.ts';
import { createLogger } from '../src/log.ts';
import { createMailer, type Mailer } from '../src/mail/mailer.ts';

export const BENCH_FROM = 'Paperboy <bench@paperboy.example>';

/** What the bench's processes run the product with: quiet logs, fixed secret and URLs, the real clock. */
export function benchDeps(db: PrismaClient, mailer: Mailer): Deps {
  return {
    db,
    mailer,
    log: createLogger('warn', 2),
    config: {
      secretKey: 'bench-secret-key-that-is-long-enough-0123456789',
      publicUrl: 'https://paperboy.example',
      mailFrom: BENCH_FROM,
    },
    now: () => new Date(),
  };
}

/**
 * The deps of a bench process that plans or ranks (bench/plan-process.ts, bench/rank-process.ts)
 * on the database at `url`. Such a process sends nothing; its mailer points at a closed port.
 */
export async function openPlanningDeps(url: string): Promise<{ deps: Deps; close(): Promise<void> }> {
  const database = await openDatabase(url, '');
  const mailer = createMailer('smtp://127.0.0.1:9', BENCH_FROM, { maxConnections: 1 });
  return {
    deps: benchDeps(database.prisma, mailer),
    async close() {
      mailer.close();
      await database.close();
    },
  };
}

/**
 * Runs `work` (a planning phase of a bench process) and adds what it cost: wall seconds, this
 * process's CPU (GC on any thread included), its peak memory, and what the database's sessions
 * spent meanwhile (`backendCpuMs`; the sessions `work` opens count from their start).
 */
export async function measuredProcess<T extends object>(
  deps: Deps,
  url: string,
  work: () => Promise<T>,
): Promise<T & { seconds: number; cpuMs: number; maxRssMb: number; postgresCpuMs: number | null }> {
  const postgresQuery = (text: string) => rawSql(deps.db).query<{ pid: number }>(text);
  const postgresBefore = await backendCpuMs(url, postgresQuery);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const postgresAfter = await backendCpuMs(url, postgresQuery);
  return {
    ...result,
    seconds,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    // resourceUsage().maxRSS is in kilobytes.
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    postgresCpuMs: postgresBefore === null || postgresAfter === null ? null : postgresAfter - postgresBefore,
  };
}

/**
 * The V8 flags Paperboy's processes start with (bin/paperboy.js's first line; the npm scripts and
 * the image use the same), so the bench's planning process runs as the scheduler does.
 */
export function productNodeFlags(): string[] {
  const shebang = readFileSync(new URL('../bin/paperboy.js', import.meta.url), 'utf8').split('\n')[0] ?? '';
  return shebang.split(/\s+/).filter((word) => word.startsWith('--'));
}

/**
 * CPU time so far (ms) of the PostgreSQL backends serving the database at `url` (every session,
 * the asking one included), read from /proc: null when the server is not on this machine or its
 * processes cannot be read. `query` runs SQL on any session of that database.
 */
export async function backendCpuMs(
  url: string,
  query: (text: string) => Promise<{ pid: number }[]>,
): Promise<number | null> {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname)) return null;
  const rows = await query('SELECT pid FROM pg_stat_activity WHERE datname = current_database()');
  let ticks = 0;
  for (const { pid } of rows) {
    try {
      // utime and stime, fields 14 and 15, counted after the command name's closing parenthesis.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return null;
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** The whole number after `--name` on the command line, or `fallback`; an error below `min`. */
export function flag(name: string, fallback: number, min = 1): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < min)
    throw new Error(`--${name} must be a whole number from ${min}`);
  return value;
}

/** The word after `--name` on the command line, if given. */
export function stringFlag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}
