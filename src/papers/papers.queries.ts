import type { Db } from '../db.ts';
import type { Paper } from './paper.ts';

/** Inserts papers not yet stored (by id) and returns how many were new; existing papers are left as they are. */
export async function insertNewPapers(db: Db, papers: Paper[], source: string): Promise<number> {
  if (papers.length === 0) return 0;
  const result = await db.paper.createMany({
    data: papers.map((paper) => ({ ...paper, sources: [source] })),
    skipDuplicates: true,
  });
  return result.count;
}

/** Papers first seen in (from, to], the candidates for a digest. */
export async function findPapersSeenBetween(db: Db, from: Date, to: Date): Promise<Paper[]> {
  const rows = await db.paper.findMany({
    where: { firstSeenAt: { gt: from, lte: to } },
    orderBy: { id: 'asc' },
  });
  return rows.map(({ sources: _sources, updatedAt: _updatedAt, ...paper }) => paper);
}

/** Papers by id, in no particular order. */
export async function findPapersByIds(db: Db, ids: string[]): Promise<Paper[]> {
  const rows = await db.paper.findMany({ where: { id: { in: ids } } });
  return rows.map(({ sources: _sources, updatedAt: _updatedAt, ...paper }) => paper);
}

/** Marks papers as first seen at `at`, so a demo on any day has today's papers to send. */
export async function markPapersSeenAt(db: Db, ids: string[], at: Date): Promise<void> {
  await db.paper.updateMany({ where: { id: { in: ids } }, data: { firstSeenAt: at } });
}
