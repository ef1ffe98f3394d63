import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDigest } from '../../src/digest/run.ts';
import { feedUrl, readerLinks } from '../../src/subscribers/links.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { seedSamplePapers } from '../helpers/pages.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await seedSamplePapers(h.db, new Date());
});
afterAll(() => h?.close());

interface AtomEntry {
  id: string;
  title: string;
  summary: { '#text': string };
}
const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'entry' });
const parse = (xml: string) =>
  parser.parse(xml) as { feed: { title: string; id: string; entry?: AtomEntry[] } };
const XSS = '<script>alert("x")</script>';

describe('public topic feed', () => {
  test('is Atom of today’s papers ranked for the topic, escaped', async () => {
    await h.db.paper.create({
      data: {
        id: 'xss-gnn',
        title: `Graph neural networks ${XSS}`,
        abstract: `message passing ${XSS} & more`,
      },
    });
    const response = await fetch(`${h.baseUrl}/topics/graph-neural-networks/feed.xml`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const xml = await response.text();
    expect(xml).not.toContain('<script>');
    const { feed } = parse(xml);
    expect(feed.title).toBe('Paperboy: trending in Graph neural networks');
    expect(feed.entry?.length).toBeGreaterThan(0);
    for (const entry of feed.entry ?? [])
      expect(`${entry.title} ${entry.summary['#text']}`).toMatch(/graph|GNN|GCN|message passing|node|edge/i);
    expect(xml).toContain('Graph neural networks &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(feed.entry?.map((e) => e.title)).toContain(`Graph neural networks ${XSS}`);
  });

  test('an unknown topic is a 404', async () => {
    expect((await fetch(`${h.baseUrl}/topics/astrology/feed.xml`)).status).toBe(404);
  });
});

describe('private reader feed', () => {
  test('mirrors the reader’s sent digests and works only with its own, current token', async () => {
    const reader = await createSubscriber(h.db, {
      email: 'feed@example.com',
      topics: ['graph-neural-networks'],
    });
    const empty = parse(await (await fetch(feedUrl(h.deps.config, reader))).text());
    expect(empty.feed.entry ?? []).toHaveLength(0);

    await runDigest(h.deps);
    const delivery = await h.db.delivery.findFirstOrThrow({
      where: { subscriberId: reader.id, status: 'sent' },
    });
    const response = await fetch(feedUrl(h.deps.config, reader));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const { feed } = parse(await response.text());
    expect(feed.entry?.length).toBe(delivery.paperIds.length);
    const titles = await h.db.paper.findMany({
      where: { id: { in: delivery.paperIds } },
    });
    expect(new Set(feed.entry?.map((e) => e.title))).toEqual(new Set(titles.map((p) => p.title)));
    expect(feed.entry?.[0]?.summary['#text']).toContain(delivery.paperWhys[0] ?? '?');

    // The manage page links to it; a manage token is no feed token.
    const manage = await (await fetch(readerLinks(h.deps.config, reader).manageUrl)).text();
    expect(manage).toContain(
      feedUrl(h.deps.config, reader).replace(h.baseUrl, '').length > 0 ? 'Your Paperboy feed' : '',
    );
    const manageToken = new URL(readerLinks(h.deps.config, reader).manageUrl).searchParams.get('token');
    expect((await fetch(`${h.baseUrl}/feed.xml?token=${manageToken}`)).status).toBe(404);

    // Rotating the reader's links turns the old feed address off.
    const old = feedUrl(h.deps.config, reader);
    await h.db.subscriber.update({ where: { id: reader.id }, data: { tokenVersion: { increment: 1 } } });
    expect((await fetch(old)).status).toBe(404);
  });
});
