import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, inject, test } from 'vitest';
import { openDatabase } from '../../src/db.ts';
import { migrate } from '../../src/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const MIGRATIONS = fileURLToPath(new URL('../../prisma/migrations', import.meta.url));
const MIGRATION_NAMES = readdirSync(MIGRATIONS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();
let current: TestDatabase | undefined;
afterEach(async () => {
  await current?.drop();
  current = undefined;
});

test('migrate applies every migration once, records it as Prisma does, and is a no-op the second time', async () => {
  current = await createTestDatabase(inject('database'), { empty: true });
  const first = await migrate(current.database);
  expect(first.applied).toEqual(MIGRATION_NAMES);
  const second = await migrate(current.database);
  expect(second).toEqual({ applied: [], alreadyApplied: first.applied });
  const rows = await current.database.prisma.$queryRaw<
    { migration_name: string; checksum: string; applied_steps_count: number }[]
  >`
    SELECT migration_name, checksum, applied_steps_count FROM _prisma_migrations ORDER BY migration_name`;
  expect(rows.map((r) => r.migration_name)).toEqual(first.applied);
  for (const row of rows) expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
});

test('processes that migrate at the same moment apply each migration exactly once', async () => {
  current = await createTestDatabase(inject('database'), { empty: true });
  const url = current.url;
  const others = url ? await Promise.all([openDatabase(url, ''), openDatabase(url, '')]) : [];
  try {
    const results = await Promise.all([current.database, ...others].map((db) => migrate(db)));
    expect(results.flatMap((r) => r.applied).sort()).toEqual(MIGRATION_NAMES);
    const count = await current.database.prisma.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM _prisma_migrations`;
    expect(count[0]?.n).toBe(MIGRATION_NAMES.length);
  } finally {
    await Promise.all(others.map((db) => db.close()));
  }
});

test('an applied migration that was edited afterwards stops migrate with a clear message', async () => {
  current = await createTestDatabase(inject('database'), { empty: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'paperboy-migrations-'));
  cpSync(MIGRATIONS, dir, { recursive: true });
  const { applied } = await migrate(current.database, dir);
  const name = applied[0] ?? '';
  writeFileSync(path.join(dir, name, 'migration.sql'), '-- edited\nSELECT 1;');
  await expect(migrate(current.database, dir)).rejects.toThrow(
    `migration ${name} was edited after it was applied`,
  );
});

test('a failing migration is rolled back whole and not recorded', async () => {
  current = await createTestDatabase(inject('database'), { empty: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'paperboy-migrations-'));
  cpSync(MIGRATIONS, dir, { recursive: true });
  const bad = path.join(dir, '99990101000000_broken');
  mkdirSync(bad);
  writeFileSync(
    path.join(bad, 'migration.sql'),
    'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;',
  );
  await expect(migrate(current.database, dir)).rejects.toThrow(
    /migration 99990101000000_broken failed and was rolled back/,
  );
  const tables = await current.database.prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'half_done'`;
  expect(tables[0]?.n).toBe(0);
  const recorded = await current.database.prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = '99990101000000_broken'`;
  expect(recorded[0]?.n).toBe(0);
});

test("upgrading moves each delivery's papers into its arrays in rank order, with their reasons", async () => {
  current = await createTestDatabase(inject('database'), { empty: true });
  const dir = mkdtempSync(path.join(tmpdir(), 'paperboy-migrations-'));
  const arrays = '20261129000000_delivery_paper_arrays';
  for (const name of MIGRATION_NAMES.filter((n) => n < arrays))
    cpSync(path.join(MIGRATIONS, name), path.join(dir, name), { recursive: true });
  await migrate(current.database, dir);
  const db = current.database.prisma;
  await db.$executeRaw`
    WITH reader AS (
      INSERT INTO subscribers (email, status) VALUES ('upgrade@example.com', 'active') RETURNING id
    ), day AS (
      INSERT INTO deliveries (subscriber_id, digest_date, status)
      SELECT id, d::date, 'sent' FROM reader, unnest(ARRAY['2026-11-01', '2026-11-02']) AS d
      RETURNING id, subscriber_id, digest_date
    )
    INSERT INTO delivery_papers (subscriber_id, paper_id, delivery_id, position, why)
    SELECT subscriber_id, p.id, day.id, p.position, 'why ' || p.id
    FROM day, (VALUES ('2611.00002', 1), ('2611.00001', 0), ('2611.00003', 2)) AS p(id, position)
    WHERE day.digest_date = '2026-11-01'`;
  cpSync(path.join(MIGRATIONS, arrays), path.join(dir, arrays), { recursive: true });
  expect((await migrate(current.database, dir)).applied).toEqual([arrays]);
  const rows = await db.$queryRaw<{ digest_date: Date; paper_ids: string[]; paper_whys: string[] }[]>`
    SELECT digest_date, paper_ids, paper_whys FROM deliveries ORDER BY digest_date`;
  expect(rows.map((row) => [row.paper_ids, row.paper_whys])).toEqual([
    [
      ['2611.00001', '2611.00002', '2611.00003'],
      ['why 2611.00001', 'why 2611.00002', 'why 2611.00003'],
    ],
    [[], []],
  ]);
});
