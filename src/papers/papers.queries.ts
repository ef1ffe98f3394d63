import type { Db } from '../db.ts';
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

/** Papers by id, in no particular order. */
export async function findPapersByIds(db: Db, ids: string[]): Promise<Paper[]> {
  const rows = await db.paper.findMany({ where: { id: { in: ids } } });
  return rows.map(
    ({ sources: _s, updatedAt: _u, titleOriginal: _t, abstractOriginal: _a, ...paper }) => paper,
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
