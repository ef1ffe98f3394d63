import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { newPaper, type Paper } from '../../src/papers/paper.ts';
import { findPapersByIds } from '../../src/papers/papers.queries.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let current: TestDatabase;
beforeAll(async () => {
  current = await createTestDatabase(inject('database'));
});
afterAll(async () => {
  await current.drop();
});

const full: Paper = {
  id: '2406.01234',
  title: 'Graph networks, grüße',
  abstract: 'We show that…',
  authors: ['Ada Lovelace', 'Alan Turing'],
  categories: ['cs.LG', 'stat.ML'],
  keywords: ['graphs'],
  pageUrl: 'https://arxiv.org/abs/2406.01234',
  pdfUrl: 'https://arxiv.org/pdf/2406.01234',
  codeUrl: 'https://github.com/example/graphs',
  publishedAt: new Date('2026-11-19T10:00:00.123Z'),
  firstSeenAt: new Date('2026-11-20T07:00:00.456Z'),
  upvotes: 12,
  comments: 3,
  stars: 40,
};
const bare = newPaper({
  id: 't-0123456789abcdef',
  title: full.title,
  abstract: full.abstract,
  firstSeenAt: full.firstSeenAt,
});

test('findPapersByIds reads back every field of a Paper, and nothing else, for the ids that exist', async () => {
  const db = current.database.prisma;
  for (const paper of [full, bare])
    await db.paper.create({
      data: { ...paper, sources: ['arxiv'], titleOriginal: 'Original', abstractOriginal: 'Original' },
    });
  const found = await findPapersByIds(db, [bare.id, 'missing', full.id]);
  expect(found.sort((a, b) => a.id.localeCompare(b.id))).toStrictEqual([full, bare]);
  expect(await findPapersByIds(db, [])).toEqual([]);
});

test('findPapersByIds reads list columns a row holds as NULL (written without them) as empty lists, as Prisma does', async () => {
  const db = current.database.prisma;
  await db.$executeRaw`
    INSERT INTO papers (id, title, abstract, authors, categories, keywords, sources)
    VALUES ('null-lists', 'Title', 'Abstract', NULL, NULL, NULL, NULL)`;
  const viaPrisma = await db.paper.findUniqueOrThrow({ where: { id: 'null-lists' } });
  const [found] = await findPapersByIds(db, ['null-lists']);
  expect(found).toMatchObject({ authors: [], categories: [], keywords: [] });
  expect([found?.authors, found?.categories, found?.keywords]).toEqual([
    viaPrisma.authors,
    viaPrisma.categories,
    viaPrisma.keywords,
  ]);
});
