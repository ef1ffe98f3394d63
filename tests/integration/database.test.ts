import { createRequire } from 'node:module';
import { getLogs } from '@prisma/debug';
import { afterEach, expect, inject, test } from 'vitest';
import { openDatabase, rawSql } from '../../src/db.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let current: TestDatabase | undefined;
afterEach(async () => {
  await current?.drop();
  current = undefined;
});

/** Where a package resolves from another package's folder (each may have its own copy). */
const resolveFrom = (from: string, name: string) => createRequire(from).resolve(name);

test('the debug history Paperboy clears is the one the PostgreSQL driver adapter writes to', () => {
  const adapter = resolveFrom(import.meta.url, '@prisma/adapter-pg');
  const utilities = resolveFrom(adapter, '@prisma/driver-adapter-utils');
  expect(resolveFrom(utilities, '@prisma/debug')).toBe(resolveFrom(import.meta.url, '@prisma/debug'));
});

test('a query’s arguments leave Prisma’s debug history when its session goes back to the pool', async () => {
  current = await createTestDatabase(inject('database'));
  // The embedded engine has an adapter (and a debug history) of its own; this is about PostgreSQL.
  if (!current.url) return;
  const marker = `batch-${'x'.repeat(1_000)}-${Date.now()}`;
  await current.database.prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT ${marker}::text AS value`;
    // The session is still held: the adapter has logged the query with its argument.
    expect(getLogs(100_000)).toContain(marker);
  });
  expect(getLogs(100_000)).not.toContain(marker);
});

test.each([
  ['the test database', () => createTestDatabase(inject('database'))],
  [
    'an embedded database',
    async () => {
      const database = await openDatabase(undefined, 'memory://');
      return { database, url: undefined, drop: () => database.close() };
    },
  ],
])('raw SQL on %s commits a transaction’s statements together or none of them', async (_, open) => {
  current = await open();
  const sql = rawSql(current.database.prisma);
  await sql.query('CREATE TABLE raw_sql_probe (n int PRIMARY KEY)');
  const results = await sql.transaction([
    { text: 'INSERT INTO raw_sql_probe VALUES ($1), ($2)', params: [1, 2] },
    { text: 'SELECT count(*)::int AS count FROM raw_sql_probe', params: [] },
  ]);
  expect(results).toEqual([[], [{ count: 2 }]]);
  // The second statement breaks the key: the first one's row must not stay.
  await expect(
    sql.transaction([
      { text: 'INSERT INTO raw_sql_probe VALUES ($1)', params: [3] },
      { text: 'INSERT INTO raw_sql_probe VALUES ($1)', params: [1] },
    ]),
  ).rejects.toThrow(/duplicate key/);
  expect(await sql.query('SELECT n FROM raw_sql_probe ORDER BY n')).toEqual([{ n: 1 }, { n: 2 }]);
});

test('PostgreSQL sessions run without JIT compilation, which costs short statements more than it saves', async () => {
  current = await createTestDatabase(inject('database'));
  if (!current.url) return;
  expect(await rawSql(current.database.prisma).query('SHOW jit')).toEqual([{ jit: 'off' }]);
  expect(await current.database.prisma.$queryRaw`SHOW jit`).toEqual([{ jit: 'off' }]);
});

test('a delivery’s papers and reasons are compressed with lz4 where the server has it, as planning writes them', async () => {
  current = await createTestDatabase(inject('database'));
  const sql = rawSql(current.database.prisma);
  const [setting] = await sql.query<{ lz4: boolean }>(
    `SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
  );
  const columns = await sql.query<{ attname: string; attcompression: string }>(
    `SELECT attname, attcompression::text FROM pg_attribute
     WHERE attrelid = 'deliveries'::regclass AND attname IN ('paper_ids', 'paper_whys') ORDER BY attname`,
  );
  // 'l' is lz4; '' is the server's default (pglz), which is all an embedded database has.
  const expected = setting?.lz4 ? 'l' : '';
  expect(columns).toEqual([
    { attname: 'paper_ids', attcompression: expected },
    { attname: 'paper_whys', attcompression: expected },
  ]);
});
