import type { Db } from '../db.ts';
import { mergePapers, type NormalisedPaper } from './normalise.ts';

/** What storing one batch did. */
export interface StoreCounts {
  created: number;
  updated: number;
  unchanged: number;
}

type StoredPaper = NonNullable<Awaited<ReturnType<typeof findStored>>>[number];

function findStored(db: Db, ids: string[]) {
  return db.paper.findMany({ where: { id: { in: ids } } });
}

function asNormalised(row: StoredPaper): NormalisedPaper {
  const { firstSeenAt: _f, updatedAt: _u, sources: _s, titleOriginal, abstractOriginal, ...paper } = row;
  return {
    ...paper,
    titleOriginal: titleOriginal ?? row.title,
    abstractOriginal: abstractOriginal ?? row.abstract,
    // What is stored is the authority on signals unless a sighting brings signals of its own.
    hasSignals: true,
  };
}

const COMPARED = [
  'title',
  'abstract',
  'authors',
  'categories',
  'keywords',
  'pageUrl',
  'pdfUrl',
  'codeUrl',
  'publishedAt',
  'upvotes',
  'comments',
  'stars',
] as const;

function differs(a: NormalisedPaper, b: NormalisedPaper): boolean {
  return COMPARED.some((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

function columns(paper: NormalisedPaper) {
  const { hasSignals: _h, ...rest } = paper;
  return rest;
}

/**
 * Stores one batch (already free of duplicates): new papers are created as first seen at `now`;
 * known ones are merged with what is stored (see mergePapers) and updated only when that changes
 * something. A signal snapshot is kept whenever a source's signals for a paper change, so
 * storing the same input twice writes nothing the second time. Run it inside a transaction.
 */
export async function storePapers(
  db: Db,
  papers: NormalisedPaper[],
  source: string,
  now: Date,
): Promise<StoreCounts> {
  const stored = new Map(
    (
      await findStored(
        db,
        papers.map((p) => p.id),
      )
    ).map((row) => [row.id, row]),
  );
  const counts: StoreCounts = { created: 0, updated: 0, unchanged: 0 };
  const fresh = papers.filter((paper) => !stored.has(paper.id));
  if (fresh.length > 0) {
    await db.paper.createMany({
      data: fresh.map((paper) => ({ ...columns(paper), sources: [source], firstSeenAt: now })),
      skipDuplicates: true,
    });
    counts.created = fresh.length;
  }
  for (const paper of papers) {
    const row = stored.get(paper.id);
    if (!row) continue;
    const before = asNormalised(row);
    const merged = mergePapers(before, paper);
    const newSource = !row.sources.includes(source);
    if (!differs(before, merged) && !newSource) {
      counts.unchanged++;
      continue;
    }
    await db.paper.update({
      where: { id: paper.id },
      data: { ...columns(merged), sources: newSource ? [...row.sources, source] : row.sources },
    });
    counts.updated++;
  }
  await snapshotSignals(
    db,
    papers.filter((paper) => paper.hasSignals),
    source,
    now,
  );
  return counts;
}

async function snapshotSignals(db: Db, papers: NormalisedPaper[], source: string, now: Date): Promise<void> {
  if (papers.length === 0) return;
  const latest = await db.paperSignal.findMany({
    where: { paperId: { in: papers.map((p) => p.id) }, source },
    orderBy: { capturedAt: 'desc' },
    distinct: ['paperId'],
  });
  const last = new Map(latest.map((row) => [row.paperId, row]));
  const changed = papers.filter((paper) => {
    const previous = last.get(paper.id);
    return (
      !previous ||
      previous.upvotes !== paper.upvotes ||
      previous.comments !== paper.comments ||
      previous.stars !== paper.stars
    );
  });
  if (changed.length === 0) return;
  await db.paperSignal.createMany({
    data: changed.map((paper) => ({
      paperId: paper.id,
      source,
      capturedAt: now,
      upvotes: paper.upvotes,
      comments: paper.comments,
      stars: paper.stars,
    })),
  });
}
