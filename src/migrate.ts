import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, Db, SqlSession } from './db.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
/** Arbitrary but fixed: every Paperboy process that migrates takes this advisory lock first. */
const MIGRATION_LOCK = 72_616_101;

/** What `migrate` did: the migrations it applied now and those that were already there. */
export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
}

/**
 * Applies the committed SQL migrations in `prisma/migrations`, recording each in Prisma's own
 * `_prisma_migrations` table (same columns and checksum), one transaction per migration, under
 * an advisory lock so two processes starting at once never race. `prisma migrate deploy` can
 * take over the same database wherever Prisma's CLI can download its engine.
 */
export async function migrate(db: Database, migrationsDir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const migrations = listMigrations(migrationsDir);
  return db.withSession(MIGRATION_LOCK, async (session) => {
    await ensureMigrationsTable(session);
    const rows = await session.query<AppliedRow>(
      'SELECT migration_name, checksum FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Map(rows.map((row) => [row.migration_name, row.checksum]));
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const name of migrations) {
      const sql = readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const recorded = applied.get(name);
      if (recorded !== undefined) {
        if (recorded !== checksum) {
          throw new Error(`migration ${name} was edited after it was applied; add a new migration instead`);
        }
        result.alreadyApplied.push(name);
        continue;
      }
      await applyMigration(session, name, sql, checksum);
      result.applied.push(name);
    }
    return result;
  });
}

/** The committed migrations' names, oldest first (their folders sort by timestamp). */
function listMigrations(migrationsDir: string): string[] {
  return readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/**
 * The committed migrations this database has not applied, for readiness checks: read-only and
 * without the advisory lock, so a probe never waits behind a process that is migrating.
 */
export async function pendingMigrations(db: Db, migrationsDir = MIGRATIONS_DIR): Promise<string[]> {
  const [table] = await db.$queryRaw<{ present: boolean }[]>`
    SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`;
  const applied = table?.present
    ? await db.$queryRaw<{ migration_name: string }[]>`
        SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`
    : [];
  const done = new Set(applied.map((row) => row.migration_name));
  return listMigrations(migrationsDir).filter((name) => !done.has(name));
}

async function ensureMigrationsTable(session: SqlSession): Promise<void> {
  await session.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
  )`);
}

async function applyMigration(
  session: SqlSession,
  name: string,
  sql: string,
  checksum: string,
): Promise<void> {
  const startedAt = new Date();
  try {
    await session.execInTransaction(sql, (tx) =>
      tx
        .query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, $4, now(), 1)`,
          [randomUUID(), checksum, name, startedAt],
        )
        .then(() => undefined),
    );
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${name} failed and was rolled back: ${reason}`);
  }
}
