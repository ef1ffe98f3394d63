import { type Db, type PrismaClient, rawSql } from '../db.ts';
import type { Paper } from './paper.ts';

/** How long a paper stays a candidate while its signals keep moving. */
const TRENDING_LIFETIME_MS = 7 * 86_400_000;

/** How far back a digest looks for new papers. */
const CANDIDATE_WINDOW_MS = 86_400_000;

/**
 * The candidates for a digest as of `asOf`: papers first seen in the 24 hours up to it, and
 * papers up to a week old whose signals changed in that window (still trending though first seen
 * earlier).
 */
export async function findCandidatePapers(db: Db, asOf: Date): Promise<Paper[]> {
  const from = new Date(asOf.getTime() - CANDIDATE_WINDOW_MS);
  const to = asOf;
  const rows = await db.paper.findMany({
    where: {
      OR: [
        { firstSeenAt: { gt: from, lte: to } },
        {
          firstSeenAt: { gt: new Date(from.getTime() - TRENDING_LIFETIME_MS), lte: to },
          signals: { some: { capturedAt: { gt: from, lte: to } } },
        },
      ],
    },
    orderBy: { id: 'asc' },
  });
  return rows.map(
    ({ sources: _s, updatedAt: _u, titleOriginal: _t, abstractOriginal: _a, ...paper }) => paper,
  );
}

/**
 * Papers by id, in no particular order. One raw statement naming a Paper's fields: the send
 * worker reads a batch's papers (~500) for every 100 messages, and Prisma's findMany of the
 * same rows cost it twice the CPU (16 vs 8 ms here).
 */
export async function findPapersByIds(db: PrismaClient, ids: string[]): Promise<Paper[]> {
  if (ids.length === 0) return [];
  return rawSql(db).query<Paper>(
    `-- Prisma's list columns may hold NULL (a row written without them), which Prisma reads as [].
     SELECT id, title, abstract, coalesce(authors, '{}') AS authors, coalesce(categories, '{}') AS categories,
       coalesce(keywords, '{}') AS keywords, page_url AS "pageUrl", pdf_url AS "pdfUrl",
       code_url AS "codeUrl", published_at AS "publishedAt", first_seen_at AS "firstSeenAt",
       upvotes, comments, stars
     FROM papers WHERE id = ANY($1::text[])`,
    [ids],
  );
}

/** Marks papers as first seen at `at`, so a demo on any day has today's papers to send. */
export async function markPapersSeenAt(db: Db, ids: string[], at: Date): Promise<void> {
  await db.paper.updateMany({ where: { id: { in: ids } }, data: { firstSeenAt: at } });
}

/** Validators for conditional requests, kept in `http_cache` so every process and restart shares them. */
export function httpValidatorStore(db: Db) {
  return {
    async get(url: string) {
      const row = await db.httpCache.findUnique({ where: { url } });
      return row ? { etag: row.etag, lastModified: row.lastModified } : null;
    },
    async set(url: string, validators: { etag: string | null; lastModified: string | null }) {
      const data = { etag: validators.etag, lastModified: validators.lastModified, fetchedAt: new Date() };
      await db.httpCache.upsert({ where: { url }, create: { url, ...data }, update: data });
    },
  };
}
