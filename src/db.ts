import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { clearLogs } from '@prisma/debug';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.ts';

export type { PrismaClient };
/** A Prisma client or the transaction client handed to `$transaction(async (tx) => …)`. */
export type Db = PrismaClient | Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** Raw SQL on one session, for the migration runner (which needs multi-statement scripts). */
export interface SqlSession {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `script` (many statements) in one transaction. */
  execInTransaction(script: string, after: (session: SqlSession) => Promise<void>): Promise<void>;
}

/**
 * SQL straight to the driver, for the daily job's statements that run once per batch of hundreds
 * of readers: through Prisma's runtime the same statements cost the planner ~2x their CPU
 * (arguments and rows converted by its query interpreter and kept in its batch machinery).
 */
export interface RawSql {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `statements` in order in one transaction and returns each one's rows. */
  transaction(statements: { text: string; params: unknown[] }[]): Promise<unknown[][]>;
}

const rawSqlOf = new WeakMap<PrismaClient, RawSql>();

/** The driver under `prisma`, a client opened by `openDatabase`. */
export function rawSql(prisma: PrismaClient): RawSql {
  const sql = rawSqlOf.get(prisma);
  if (!sql) throw new Error('rawSql: this Prisma client was not opened by openDatabase');
  return sql;
}

/** An open database: the Prisma client plus what the migration runner and shutdown need. */
export interface Database {
  prisma: PrismaClient;
  kind: 'postgres' | 'embedded';
  /** Runs `fn` holding one session (and, on a server, a session-level advisory lock). */
  withSession<T>(lockKey: number, fn: (session: SqlSession) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` only if no other process holds `lockKey` (a session advisory lock, released when
   * `fn` ends or the process dies); returns whether it ran. One process: it always runs.
   */
  runExclusive(lockKey: number, fn: () => Promise<void>): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens PostgreSQL at `url`, or the embedded PGlite database in `dataDir/pglite` when `url` is
 * unset (`dataDir` of `memory://` keeps it in memory). PGlite is a single session: one process.
 */
export async function openDatabase(url: string | undefined, dataDir: string): Promise<Database> {
  return url ? openPostgres(url) : openEmbedded(dataDir);
}

function openPostgres(url: string): Database {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // No JIT: Paperboy's statements are short, and a batch statement planned on estimates that lag
    // the day's rows (a fresh table, a million new deliveries) was JIT-compiled each time: ~170 ms
    // for a statement that runs in 6. A SET before the session is handed out, rather than a
    // startup option, which connection poolers such as PgBouncer refuse.
    onConnect: async (client) => {
      await client.query('SET jit = off');
    },
  });
  // An idle client's network error must not crash the process; the next query reports it.
  pool.on('error', () => {});
  // Prisma's driver adapter logs every query with its arguments to a history of the last 100 debug
  // calls, kept even with DEBUG unset, for Prisma's own crash reports (which Paperboy never makes).
  // A plan write's argument is its whole batch (~1.8 MB for 500 readers): the history held 20–47 MB
  // of them while planning. It is let go as each query's session goes back to the pool.
  pool.on('release', () => clearLogs());
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  rawSqlOf.set(prisma, {
    async query<T>(text: string, params: unknown[] = []) {
      return (await pool.query(text, params)).rows as T[];
    },
    async transaction(statements) {
      const client = await pool.connect();
      const results: unknown[][] = [];
      try {
        await client.query('BEGIN');
        for (const { text, params } of statements) results.push((await client.query(text, params)).rows);
        await client.query('COMMIT');
      } catch (error) {
        // A session whose rollback failed is broken: it is closed rather than given back.
        const broken = await client.query('ROLLBACK').then(
          () => undefined,
          (rollbackError: Error) => rollbackError,
        );
        client.release(broken);
        throw error;
      }
      client.release();
      return results;
    },
  });
  return {
    prisma,
    kind: 'postgres',
    async withSession(lockKey, fn) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [lockKey]);
        return await fn(pgSession(client));
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [lockKey]).catch(() => {});
        client.release();
      }
    },
    async runExclusive(lockKey, fn) {
      const client = await pool.connect();
      try {
        const [row] = (await client.query('SELECT pg_try_advisory_lock($1) AS locked', [lockKey])).rows;
        if (!row?.locked) return false;
        try {
          await fn();
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [lockKey]).catch(() => {});
        }
        return true;
      } finally {
        client.release();
      }
    },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

function pgSession(client: pg.PoolClient): SqlSession {
  const session: SqlSession = {
    async query<T>(text: string, params: unknown[] = []) {
      return (await client.query(text, params)).rows as T[];
    },
    async execInTransaction(script, after) {
      await client.query('BEGIN');
      try {
        await client.query(script);
        await after(session);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    },
  };
  return session;
}

async function openEmbedded(dataDir: string): Promise<Database> {
  let location = dataDir;
  if (dataDir !== 'memory://') {
    location = path.join(dataDir, 'pglite');
    mkdirSync(location, { recursive: true });
  }
  // Loaded only here: PGlite's engine costs ~40 MB of memory in every process that loads it.
  const [{ PGlite }, { PrismaPGlite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('pglite-prisma-adapter'),
  ]);
  const pglite = await PGlite.create(location);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) });
  const session: SqlSession = {
    async query<T>(text: string, params: unknown[] = []) {
      return (await pglite.query(text, params)).rows as T[];
    },
    async execInTransaction(script, after) {
      await pglite.transaction(async (tx) => {
        await tx.exec(script);
        await after({
          query: async <T>(text: string, params: unknown[] = []) =>
            (await tx.query(text, params)).rows as T[],
          execInTransaction: () => Promise.reject(new Error('nested transactions are not supported')),
        });
      });
    },
  };
  rawSqlOf.set(prisma, {
    query: session.query,
    transaction: (statements) =>
      pglite.transaction(async (tx) => {
        const results: unknown[][] = [];
        for (const { text, params } of statements) results.push((await tx.query(text, params)).rows);
        return results;
      }),
  });
  return {
    prisma,
    kind: 'embedded',
    withSession: (_lockKey, fn) => fn(session),
    async runExclusive(_lockKey, fn) {
      await fn();
      return true;
    },
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
