import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db.ts';
import { migrate } from '../../src/migrate.ts';
import { syncTopics } from '../../src/topics/topics.queries.ts';

const DEFAULT_URL = 'postgresql://postgres@127.0.0.1:5432/paperboy_test';

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({
    connectionString: withDatabase(url, 'postgres'),
    connectionTimeoutMillis: 3000,
  });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Creates TEST_DATABASE_URL's database if missing and migrates it; it is the template each test
 * file clones. Without a reachable server, tests run on the embedded engine instead.
 */
export async function prepareTemplateDatabase() {
  const url = process.env.TEST_DATABASE_URL ?? DEFAULT_URL;
  const name = new URL(url).pathname.slice(1) || 'paperboy_test';
  try {
    await adminQuery(url, 'SELECT 1');
  } catch (error) {
    // Only "nobody is there" falls back; a server that refuses us (password, role) is a setup error.
    const code = (error as { code?: string }).code ?? '';
    if (
      !['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'].includes(code) &&
      !/timeout/i.test(String(error))
    ) {
      throw error;
    }
    return { kind: 'embedded' as const, templateUrl: '', display: 'PGlite' };
  }
  await adminQuery(url, `CREATE DATABASE ${quote(name)}`).catch((error: { code?: string }) => {
    if (error.code !== '42P04') throw error; // already exists
  });
  const database = await openDatabase(url, '');
  try {
    await migrate(database);
    await syncTopics(database.prisma);
  } finally {
    await database.close();
  }
  const parsed = new URL(url);
  return { kind: 'postgres' as const, templateUrl: url, display: `${parsed.host}${parsed.pathname}` };
}

/** A fresh, migrated database for one test file, dropped by `drop()`. */
export interface TestDatabase {
  database: Database;
  url: string | undefined;
  drop(): Promise<void>;
}

/** Clones the template into a database of this file's own (or, with `empty`, makes one with no tables). */
export async function createTestDatabase(
  target: { kind: 'postgres' | 'embedded'; templateUrl: string },
  options: { empty?: boolean } = {},
): Promise<TestDatabase> {
  if (target.kind === 'embedded') {
    const database = await openDatabase(undefined, 'memory://');
    if (!options.empty) {
      await migrate(database);
      await syncTopics(database.prisma);
    }
    return { database, url: undefined, drop: () => database.close() };
  }
  const base = new URL(target.templateUrl).pathname.slice(1);
  const template = options.empty ? 'template0' : base;
  const name = `${base}_${randomBytes(5).toString('hex')}`;
  // Two files cloning at the same moment can see each other on the template: try again shortly.
  for (let attempt = 1; ; attempt++) {
    try {
      await adminQuery(target.templateUrl, `CREATE DATABASE ${quote(name)} TEMPLATE ${quote(template)}`);
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || attempt === 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  const url = withDatabase(target.templateUrl, name);
  const database = await openDatabase(url, '');
  return {
    database,
    url,
    async drop() {
      await database.close();
      await adminQuery(target.templateUrl, `DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`);
    },
  };
}
