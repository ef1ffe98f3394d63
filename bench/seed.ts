/**
 * The benches' database: dropped, created and migrated afresh, with synthetic readers spread over
 * time zones, hours, topics and interests, and a synthetic day of papers.
 */
import pg from 'pg';
import { openDatabase } from '../src/db.ts';
import { migrate } from '../src/migrate.ts';
import type { Paper } from '../src/papers/paper.ts';
import { TOPICS } from '../src/topics/taxonomy.ts';
import { syncTopics } from '../src/topics/topics.queries.ts';
import { distinctInterests, syntheticPapers } from './synthetic.ts';

export interface SeedOptions {
  readers: number;
  /** Each reader with a free-text interest writes their own, instead of sharing one of six. */
  distinct: boolean;
}

/**
 * Creates the database at `url` afresh with `readers` readers and `paperCount` papers first seen
 * an hour before `now`; returns the open database. As autovacuum keeps a live database, it ends
 * with VACUUM ANALYZE: statistics (without them Postgres read the whole table for every batch of
 * readers, 1.3 s per batch at 1,000,000 readers), and visibility maps, so a reader's topics and
 * interests are read from their indexes alone.
 */
export async function seededDatabase(url: string, options: SeedOptions & { paperCount: number; now: Date }) {
  await freshDatabase(url);
  const database = await openDatabase(url, '');
  await migrate(database);
  await syncTopics(database.prisma);
  const raw = new pg.Client({ connectionString: url });
  await raw.connect();
  try {
    const day = syntheticPapers(options.paperCount, new Date(options.now.getTime() - 3_600_000));
    await seed(raw, { ...options, papers: day.papers as Paper[], sentences: day.sentences });
    await raw.query('VACUUM ANALYZE');
  } finally {
    await raw.end();
  }
  return database;
}

/** Drops and creates the bench database. */
async function freshDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
}

const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Asia/Tokyo',
  'Pacific/Chatham',
  'America/Los_Angeles',
  'Australia/Sydney',
];
const INTERESTS = [
  'learning from a handful of labelled examples',
  'running neural networks on small devices',
  'why deep networks generalise',
  'diffusion models for images',
  'message passing on molecules',
  'making large language models cheaper to serve',
];

/** Inserts `readers` synthetic readers (active, confirmed 30 days ago, unchanged since) and `papers`. */
async function seed(
  db: pg.Client,
  { readers, distinct, papers, sentences }: SeedOptions & { papers: Paper[]; sentences: readonly string[] },
): Promise<void> {
  const slugs = TOPICS.map((t) => t.slug);
  await db.query(
    `INSERT INTO subscribers (email, status, timezone, delivery_hour, frequency, max_papers, confirmed_at,
       schedule_changed_at)
     SELECT 'reader' || i || '@bench.example', 'active', ($2::text[])[1 + i % cardinality($2::text[])],
            i % 24, 'daily', 5 + i % 21, now() - interval '30 days', now() - interval '30 days'
     FROM generate_series(1, $1::int) AS i`,
    [readers, ZONES],
  );
  for (let k = 0; k < 3; k++) {
    await db.query(
      `INSERT INTO subscriber_topics (subscriber_id, topic_slug)
       SELECT id, ($1::text[])[1 + abs(hashtext(email || $2::text)) % cardinality($1::text[])]
       FROM subscribers WHERE abs(hashtext(email)) % 3 >= $2::int
       ON CONFLICT DO NOTHING`,
      [slugs, k],
    );
  }
  if (distinct) {
    const { rows } = await db.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM subscribers WHERE abs(hashtext(email)) % 5 = 0',
    );
    await db.query(
      `INSERT INTO interests (subscriber_id, kind, value)
       SELECT id, 'text', ($1::text[])[row_number() OVER (ORDER BY id)]
       FROM subscribers WHERE abs(hashtext(email)) % 5 = 0`,
      [distinctInterests(rows[0]?.count ?? 0, sentences)],
    );
  } else {
    await db.query(
      `INSERT INTO interests (subscriber_id, kind, value)
       SELECT id, 'text', ($1::text[])[1 + abs(hashtext(email || 'i')) % cardinality($1::text[])]
       FROM subscribers WHERE abs(hashtext(email)) % 5 = 0`,
      [INTERESTS],
    );
  }
  const columns = [
    'id',
    'title',
    'abstract',
    'authors',
    'categories',
    'keywords',
    'page_url',
    'sources',
    'first_seen_at',
    'upvotes',
  ];
  for (let i = 0; i < papers.length; i += 100) {
    const chunk = papers.slice(i, i + 100);
    const values = chunk.flatMap((p) => [
      p.id,
      p.title,
      p.abstract,
      p.authors,
      p.categories,
      p.keywords,
      p.pageUrl,
      ['bench'],
      p.firstSeenAt,
      p.upvotes,
    ]);
    const rows = chunk.map(
      (_, r) => `(${columns.map((__, c) => `$${r * columns.length + c + 1}`).join(', ')})`,
    );
    await db.query(`INSERT INTO papers (${columns.join(', ')}) VALUES ${rows.join(', ')}`, values);
  }
}
