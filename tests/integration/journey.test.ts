import { afterAll, beforeAll, expect, test } from 'vitest';
import { runDigest } from '../../src/digest/run.ts';
import { markPapersSeenAt } from '../../src/papers/papers.queries.ts';
import { ingestSample, loadSamplePapers } from '../../src/papers/sample.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const linkIn = (text: string, path: string) => {
  const match = new RegExp(`${h.baseUrl}${path}\\?token=[\\w.-]+`).exec(text);
  if (!match) throw new Error(`no ${path} link in:\n${text}`);
  return match[0];
};
const tokenOf = (url: string) => new URL(url).searchParams.get('token') ?? '';
const statusOf = async (email: string) =>
  (await h.db.subscriber.findUniqueOrThrow({ where: { email } })).status;

test('subscribe → confirm by email → daily digest → one-click unsubscribe → nothing the next day', async () => {
  const email = 'Reader.One@Example.com';
  const address = email.toLowerCase();

  const subscribed = await fetch(`${h.baseUrl}/api/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email,
      topics: ['graph-neural-networks'],
      interests: ['message passing on large graphs'],
    }),
  });
  expect(subscribed.status).toBe(202);
  expect(await statusOf(address)).toBe('pending');

  const confirmation = await h.sink.waitFor(address);
  expect(confirmation.email.subject).toBe('Confirm your Paperboy subscription');
  const confirmUrl = linkIn(confirmation.email.text ?? '', '/confirm');
  expect(confirmation.email.html).toContain(tokenOf(confirmUrl));

  // Mail scanners follow links: the GET shows a button and changes nothing.
  const page = await fetch(confirmUrl);
  expect(page.status).toBe(200);
  expect(await page.text()).toMatch(/<button[^>]*>Confirm subscription<\/button>/);
  expect(await statusOf(address)).toBe('pending');

  const confirmed = await fetch(`${h.baseUrl}/confirm`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokenOf(confirmUrl) }),
  });
  expect(confirmed.status).toBe(200);
  expect(await confirmed.text()).toContain('Manage preferences');
  expect(await statusOf(address)).toBe('active');

  // A second reader with the same taste shows that tomorrow's run does send, just not to the leaver.
  const stayer = await createSubscriber(h.db, {
    email: 'stayer@example.com',
    topics: ['graph-neural-networks'],
  });
  await ingestSample(h.deps);
  const today = await runDigest(h.deps);
  expect(today.sent).toBe(2);

  const digest = await h.sink.waitFor(address, (m) => m.email.subject?.includes('trending paper') ?? false);
  expect(digest.rcptTo).toEqual([address]);
  const unsubscribeUrl = linkIn(digest.email.text ?? '', '/unsubscribe');
  expect(digest.header('List-Unsubscribe')).toBe(`<${unsubscribeUrl}>`);
  expect(digest.header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
  expect(digest.header('Message-ID')).toMatch(
    new RegExp(`^<digest\\.${today.date}\\.[0-9a-f-]{36}@127\\.0\\.0\\.1>$`),
  );
  expect(digest.email.text).toContain(linkIn(digest.email.text ?? '', '/manage'));
  expect(digest.email.html).toContain('Unsubscribe');

  // The right papers: every one of them is about graphs, and they are the ones recorded for the reader.
  const delivery = await h.db.delivery.findFirstOrThrow({
    where: { subscriber: { email: address } },
  });
  expect(delivery.status).toBe('sent');
  const titles = new Map(loadSamplePapers(new Date()).map((p) => [p.id, p]));
  const sentPapers = delivery.paperIds.map((id) => titles.get(id));
  expect(sentPapers.length).toBe(10);
  for (const p of sentPapers) {
    expect(`${p?.title} ${p?.abstract}`).toMatch(/graph|GNN|GCN|message passing/i);
    expect(digest.email.text).toContain(p?.title);
  }

  // "View in browser" shows the same digest, and only that one.
  const viewUrl =
    new RegExp(`${h.baseUrl}/digest/[0-9a-f-]{36}\\?token=[\\w.-]+`).exec(digest.email.text ?? '')?.[0] ?? '';
  const view = await fetch(viewUrl);
  expect(view.status).toBe(200);
  expect(await view.text()).toContain(sentPapers[0]?.title);
  const otherDelivery = await h.db.delivery.findFirstOrThrow({ where: { subscriberId: stayer.id } });
  const forged = await fetch(viewUrl.replace(delivery.id, otherDelivery.id));
  expect(forged.status).toBe(404);

  const oneClick = await fetch(unsubscribeUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
    redirect: 'manual',
  });
  expect(oneClick.status).toBe(200);
  expect(await statusOf(address)).toBe('unsubscribed');

  const tomorrow = new Date(Date.now() + 86_400_000);
  h.setNow(tomorrow);
  await markPapersSeenAt(
    h.db,
    loadSamplePapers(tomorrow).map((p) => p.id),
    tomorrow,
  );
  const before = h.sink.to(address).length;
  const next = await runDigest(h.deps);
  expect(next.sent).toBe(1);
  await h.sink.waitFor(stayer.email, (m) => m.header('Message-ID')?.includes(next.date) ?? false);
  expect(h.sink.to(address).length).toBe(before);
  const events = await h.db.consentEvent.findMany({
    where: { subscriber: { email: address } },
    orderBy: { id: 'asc' },
  });
  expect(events.map((e) => e.kind)).toEqual(['subscribe', 'confirm', 'unsubscribe']);
});
