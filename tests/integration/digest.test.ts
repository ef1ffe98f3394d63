import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { isoDate } from '../../src/dates.ts';
import { insertPlannedDeliveries } from '../../src/digest/digest.queries.ts';
import { runDigest } from '../../src/digest/run.ts';
import { ingestSample } from '../../src/papers/sample.ts';
import { unsubscribe } from '../../src/subscribers/subscribers.service.ts';
import { createToken } from '../../src/subscribers/tokens.ts';
import { createSubscriber, insertPapers, paper } from '../helpers/factories.ts';
import { type Harness, startHarness, TEST_SECRET } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ http: false });
});
afterAll(() => h?.close());
beforeEach(async () => {
  await h.db.subscriber.deleteMany();
  await h.db.paper.deleteMany();
  h.sink.clear();
  h.setNow(new Date('2026-11-20T08:00:00Z'));
});

/** A reader whose digest for today is planned (one sample paper) but not yet sent. */
async function readerWithPlannedDigest() {
  await ingestSample(h.deps);
  const reader = await createSubscriber(h.db, { topics: ['optimization'] });
  await insertPlannedDeliveries(
    h.db,
    [
      {
        subscriberId: reader.id,
        digestDate: new Date(`${isoDate(h.deps.now())}T00:00:00Z`),
        plannedAt: h.deps.now(),
        papers: [{ paperId: (await h.db.paper.findFirstOrThrow()).id, why: 'test' }],
      },
    ],
    '2026-11-01',
  );
  return reader;
}

test('running the digest twice sends each reader one email', async () => {
  await ingestSample(h.deps);
  const readers = await Promise.all(
    ['optimization', 'graph-neural-networks', 'efficient-ml'].map((topic) =>
      createSubscriber(h.db, { topics: [topic] }),
    ),
  );
  const first = await runDigest(h.deps);
  const second = await runDigest(h.deps);
  expect(first).toMatchObject({ planned: 3, sent: 3, failed: 0 });
  expect(second).toMatchObject({ planned: 0, sent: 0, skipped: 0 });
  for (const reader of readers) expect(h.sink.to(reader.email)).toHaveLength(1);
  expect(await h.db.delivery.count({ where: { status: 'sent' } })).toBe(3);
});

test('a dry run ranks and reports but writes and sends nothing', async () => {
  await ingestSample(h.deps);
  await createSubscriber(h.db, { topics: ['optimization'] });
  const result = await runDigest(h.deps, { dryRun: true });
  expect(result).toMatchObject({ dryRun: true, planned: 1, sent: 0 });
  expect(result.rows[0]?.papers).toBe(10);
  expect(await h.db.delivery.count()).toBe(0);
  expect(h.sink.messages).toHaveLength(0);
});

test('a reader who unsubscribes after planning gets no email', async () => {
  const reader = await readerWithPlannedDigest();
  await unsubscribe(
    h.deps,
    createToken(TEST_SECRET, { purpose: 'unsubscribe', subscriberId: reader.id, version: 1, expiresAt: 0 }),
    {},
  );
  const result = await runDigest(h.deps);
  expect(result.sent).toBe(0);
  expect(h.sink.messages).toHaveLength(0);
  expect((await h.db.delivery.findFirstOrThrow()).status).toBe('skipped');
});

test('a planned delivery whose reader became inactive is skipped at send time, not sent', async () => {
  const reader = await readerWithPlannedDigest();
  await h.db.subscriber.update({ where: { id: reader.id }, data: { status: 'paused' } });
  expect((await runDigest(h.deps)).sent).toBe(0);
  expect(await h.db.delivery.findFirstOrThrow()).toMatchObject({
    status: 'skipped',
    lastError: 'reader is paused',
  });
});

test('never the same paper twice: the next day brings only papers not sent before', async () => {
  await ingestSample(h.deps);
  const reader = await createSubscriber(h.db, { topics: ['optimization'] });
  await runDigest(h.deps);
  h.setNow(new Date('2026-11-21T08:00:00Z'));
  await h.db.paper.updateMany({ data: { firstSeenAt: h.deps.now() } });
  await runDigest(h.deps);
  const days = await h.db.delivery.findMany({ where: { subscriberId: reader.id } });
  expect(days).toHaveLength(2);
  const sent = days.flatMap((day) => day.paperIds);
  expect(sent).toHaveLength(20);
  expect(new Set(sent).size).toBe(20);
});

test('never twice, also when two plans for one reader are written at once: the later write leaves out what the earlier holds', async () => {
  await ingestSample(h.deps);
  const reader = await createSubscriber(h.db, { topics: ['optimization'] });
  const [first, second, third] = (await h.db.paper.findMany({ take: 3, orderBy: { id: 'asc' } })).map(
    (p) => p.id,
  );
  const plan = (date: string, paperIds: (string | undefined)[]) => ({
    subscriberId: reader.id,
    digestDate: new Date(`${date}T00:00:00Z`),
    plannedAt: h.deps.now(),
    papers: paperIds.map((paperId) => ({ paperId: paperId ?? '', why: `why ${paperId}` })),
  });
  // Written together: each on its own session, as two planners (or two writes in flight) would.
  await Promise.all([
    insertPlannedDeliveries(h.db, [plan('2026-11-20', [first, second])], '2026-11-18'),
    insertPlannedDeliveries(h.db, [plan('2026-11-21', [second, third])], '2026-11-18'),
  ]);
  await insertPlannedDeliveries(h.db, [plan('2026-11-22', [third, first])], '2026-11-18');
  const days = await h.db.delivery.findMany({
    where: { subscriberId: reader.id },
    orderBy: { digestDate: 'asc' },
  });
  const held = days.flatMap((day) => day.paperIds);
  expect(held.sort()).toEqual([first, second, third].sort());
  // The reasons stay with their papers, in rank order.
  for (const day of days) expect(day.paperWhys).toEqual(day.paperIds.map((id) => `why ${id}`));
  // The third day had nothing new: a skipped row, no email.
  expect(days[2]).toMatchObject({ status: 'skipped', lastError: 'no matching papers', paperIds: [] });
});

test('a plan is stored as written: papers and reasons in order, an empty reason, a control character, one paper, none', async () => {
  await ingestSample(h.deps);
  const papers = (await h.db.paper.findMany({ take: 3, orderBy: { id: 'asc' } })).map((p) => p.id);
  const readers = await Promise.all(
    ['one', 'many', 'none'].map((name) => createSubscriber(h.db, { email: `${name}@example.com` })),
  );
  const plan = (reader: { id: string }, list: { paperId: string; why: string }[]) => ({
    subscriberId: reader.id,
    digestDate: new Date('2026-11-20T00:00:00Z'),
    plannedAt: h.deps.now(),
    papers: list,
  });
  const [first = '', second = '', third = ''] = papers;
  await insertPlannedDeliveries(
    h.db,
    [
      plan(readers[0] as { id: string }, [{ paperId: first, why: '' }]),
      plan(readers[1] as { id: string }, [
        { paperId: third, why: 'Graphs · matched “a\u001fb”' },
        { paperId: first, why: '' },
        { paperId: second, why: 'trending #1' },
      ]),
      plan(readers[2] as { id: string }, []),
    ],
    '2026-11-18',
  );
  const row = async (reader: { id: string } | undefined) =>
    h.db.delivery.findFirstOrThrow({ where: { subscriberId: reader?.id ?? '' } });
  expect(await row(readers[0])).toMatchObject({ status: 'planned', paperIds: [first], paperWhys: [''] });
  expect(await row(readers[1])).toMatchObject({
    status: 'planned',
    paperIds: [third, first, second],
    paperWhys: ['Graphs · matched “a\u001fb”', '', 'trending #1'],
  });
  expect(await row(readers[2])).toMatchObject({ status: 'skipped', paperIds: [], paperWhys: [] });
});

test('a reader with no matching papers gets no email and a skipped delivery', async () => {
  await insertPapers(h.db, [
    paper({ id: '2611.00001', title: 'Protein folding in yeast', firstSeenAt: h.deps.now() }),
  ]);
  await createSubscriber(h.db, { topics: ['graph-neural-networks'] });
  const result = await runDigest(h.deps);
  expect(result).toMatchObject({ planned: 0, skipped: 1, sent: 0 });
  expect(await h.db.delivery.findFirstOrThrow()).toMatchObject({
    status: 'skipped',
    lastError: 'no matching papers',
  });
  expect(h.sink.messages).toHaveLength(0);
});

test('a topic no longer built in is ranked by its stored terms, a built-in one by its current definition', async () => {
  await h.db.topic.upsert({
    where: { slug: 'retired-topic' },
    create: {
      slug: 'retired-topic',
      name: 'Retired topic',
      description: '',
      groupName: 'Old',
      queryTerms: ['quantum annealing'],
    },
    update: {},
  });
  await insertPapers(h.db, [
    paper({ id: '2611.00011', title: 'Quantum annealing at scale', firstSeenAt: h.deps.now() }),
    paper({ id: '2611.00012', title: 'Graph neural networks for molecules', firstSeenAt: h.deps.now() }),
  ]);
  await createSubscriber(h.db, { topics: ['retired-topic', 'graph-neural-networks'] });
  expect((await runDigest(h.deps)).sent).toBe(1);
  const delivery = await h.db.delivery.findFirstOrThrow();
  expect([...delivery.paperIds].sort()).toEqual(['2611.00011', '2611.00012']);
  const whys = new Map(delivery.paperIds.map((id, i) => [id, delivery.paperWhys[i]]));
  expect(whys.get('2611.00011')).toMatch(/^Retired topic · matched “quantum annealing”/);
  expect(whys.get('2611.00012')).toMatch(/^Graph neural networks/);
});

// Stored as is (bypassing ingest's cleaning): rendering must escape whatever the store holds.
test('hostile paper text arrives escaped in HTML and on one line in headers', async () => {
  await insertPapers(h.db, [
    paper({
      id: '2611.00002',
      title: 'Graph neural networks <script>alert("x")</script>',
      abstract: 'Message passing with <img src=x onerror=alert(1)> and graph learning.',
      authors: ['Eve\r\nBcc: victim@example.com', 'Ada <b>Lovelace</b>'],
      firstSeenAt: h.deps.now(),
    }),
  ]);
  const reader = await createSubscriber(h.db, { topics: ['graph-neural-networks'] });
  expect((await runDigest(h.deps)).sent).toBe(1);
  const [message] = h.sink.to(reader.email);
  expect(message?.rcptTo).toEqual([reader.email]);
  expect(message?.email.html).not.toMatch(/<script>|<img src=x|<b>Lovelace/);
  expect(message?.email.html).toContain('&lt;script&gt;');
  expect(message?.email.html).toContain('Eve Bcc: victim@example.com');
  expect(message?.header('Bcc')).toBeUndefined();
});

test('papers seen before the 24 hours ahead of the run are not candidates', async () => {
  await insertPapers(h.db, [
    paper({
      id: '2611.00003',
      title: 'Graph neural networks, old',
      firstSeenAt: new Date('2026-11-19T07:59:00Z'),
    }),
    paper({
      id: '2611.00004',
      title: 'Graph neural networks, fresh',
      firstSeenAt: new Date('2026-11-19T08:01:00Z'),
    }),
  ]);
  await createSubscriber(h.db, { topics: ['graph-neural-networks'] });
  const result = await runDigest(h.deps);
  expect(result.candidatePapers).toBe(1);
  expect((await h.db.delivery.findFirstOrThrow()).paperIds).toEqual(['2611.00004']);
});

test('ingesting the sample twice adds nothing the second time', async () => {
  const first = await ingestSample(h.deps);
  const second = await ingestSample(h.deps);
  expect(first).toMatchObject({ fetched: 119, created: 119 });
  expect(second).toMatchObject({ fetched: 119, created: 0, updated: 0, unchanged: 119, skipped: 0 });
  expect(await h.db.paper.count()).toBe(119);
  expect(
    await h.db.ingestRun.count({ where: { status: 'succeeded', source: 'sample' } }),
  ).toBeGreaterThanOrEqual(2);
});
