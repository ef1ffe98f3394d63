import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readerLinks } from '../../src/subscribers/links.ts';
import { suppressionHash } from '../../src/subscribers/subscribers.queries.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { FormSession, seedSamplePapers } from '../helpers/pages.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

const links = (who: { id: string; tokenVersion: number }) => readerLinks(h.deps.config, who);
const tokenIn = (url: string) => new URL(url).searchParams.get('token') ?? '';
const session = () => new FormSession(h.baseUrl);
const statusOf = async (id: string) => (await h.db.subscriber.findUniqueOrThrow({ where: { id } })).status;
const XSS = '<script>alert("x")</script>';
const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';

const prefs = (token: string, extra: Record<string, string | string[]> = {}) => ({
  token,
  topics: ['optimization'],
  interests: '',
  authors: '',
  excludes: '',
  timezone: 'UTC',
  deliveryHour: '8',
  frequency: 'daily',
  maxPapers: '10',
  ...extra,
});

describe('manage', () => {
  test('saving changes every preference, redirects, and shows a visible confirmation', async () => {
    const reader = await createSubscriber(h.db, { email: 'manage@example.com' });
    const token = tokenIn(links(reader).manageUrl);
    const page = await session().open(`/manage?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<button type="submit">Save<\/button>/);
    const saved = await session().post(
      '/manage',
      prefs(token, {
        topics: ['learning-theory', 'convex-optimization'],
        interests: 'tiny models',
        authors: 'Grace Hopper',
        excludes: 'survey',
        timezone: 'Asia/Tokyo',
        deliveryHour: '6',
        frequency: 'weekly',
        deliveryWeekday: '4',
        maxPapers: '25',
        paused: 'on',
      }),
    );
    expect(saved.status).toBe(303);
    const after = await session().open(saved.headers.get('location') ?? '');
    expect(after.html).toContain('role="status" id="saved"');
    expect(after.html).toMatch(/value="weekly" checked/);
    expect(after.html).toMatch(/<option value="4" selected>Thursday<\/option>/);
    const row = await h.db.subscriber.findUniqueOrThrow({
      where: { id: reader.id },
      include: { topics: true, interests: true },
    });
    expect(row).toMatchObject({
      status: 'paused',
      timezone: 'Asia/Tokyo',
      deliveryHour: 6,
      frequency: 'weekly',
      deliveryWeekday: 4,
      maxPapers: 25,
    });
    expect(row.topics.map((t) => t.topicSlug).sort()).toEqual(['convex-optimization', 'learning-theory']);
    expect(row.interests.map((i) => `${i.kind}:${i.value}`).sort()).toEqual([
      'author:Grace Hopper',
      'exclude:survey',
      'text:tiny models',
    ]);
    await session().post('/manage', prefs(token));
    expect(await statusOf(reader.id)).toBe('active');
  });

  test('a refused save keeps what was typed and puts the error next to its field', async () => {
    const reader = await createSubscriber(h.db, { email: 'manage-bad@example.com' });
    const token = tokenIn(links(reader).manageUrl);
    const answer = await session().post('/manage', prefs(token, { maxPapers: '40', interests: 'kept text' }));
    expect(answer.status).toBe(400);
    expect(answer.html).toMatch(
      /<p class="error" id="maxPapers-error">maxPapers must be a whole number from 3 to 25<\/p>\s*<input id="maxPapers"[^>]*value="40" aria-invalid="true"/,
    );
    expect(answer.html).toContain('kept text');
    expect((await h.db.subscriber.findUniqueOrThrow({ where: { id: reader.id } })).maxPapers).toBe(10);
  });

  test('"Download my data" is a JSON attachment of everything stored', async () => {
    const reader = await createSubscriber(h.db, { email: 'export@example.com', interests: ['graphs'] });
    const response = await fetch(`${h.baseUrl}/manage/data?token=${tokenIn(links(reader).manageUrl)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="?paperboy-my-data\.json/,
    );
    const data = (await response.json()) as Record<string, unknown>;
    expect(data).toMatchObject({
      email: 'export@example.com',
      status: 'active',
      topics: ['graph-neural-networks'],
      interests: ['graphs'],
    });
    expect(data).toHaveProperty('consentEvents');
    expect(data).toHaveProperty('deliveries');
  });

  test('"Delete my data" needs the box ticked, then erases all but a hash, and the address is never mailed again', async () => {
    const reader = await createSubscriber(h.db, { email: 'Erase.Me@example.com'.toLowerCase() });
    await h.db.consentEvent.create({ data: { subscriberId: reader.id, kind: 'subscribe', ip: '10.0.0.1' } });
    const { manageUrl, unsubscribeUrl } = links(reader);
    const token = tokenIn(manageUrl);
    const unticked = await session().post('/manage/delete', { token });
    expect(unticked.status).toBe(400);
    expect(unticked.html).toContain('id="confirm-error"');
    expect(await h.db.subscriber.count({ where: { id: reader.id } })).toBe(1);

    const deleted = await session().post('/manage/delete', { token, confirm: 'yes' });
    expect(deleted.status).toBe(200);
    expect(deleted.html).toContain('Your data is deleted');
    expect(await h.db.subscriber.count({ where: { email: 'erase.me@example.com' } })).toBe(0);
    expect(await h.db.consentEvent.count({ where: { ip: '10.0.0.1' } })).toBe(0);
    const suppression = await h.db.suppression.findUniqueOrThrow({
      where: { emailHash: suppressionHash('erase.me@example.com') },
    });
    expect(suppression.reason).toBe('erased');
    for (const url of [manageUrl, unsubscribeUrl]) expect((await fetch(url)).status).toBe(404);

    const again = await fetch(`${h.baseUrl}/api/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'Erase.Me@example.com', topics: ['optimization'] }),
    });
    expect(again.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.sink.to('erase.me@example.com')).toHaveLength(0);
    expect(await h.db.subscriber.count({ where: { email: 'erase.me@example.com' } })).toBe(0);
  });
});

describe('tokens', () => {
  test('"Email me a new link" revokes every older link and mails a working one', async () => {
    const reader = await createSubscriber(h.db, { email: 'rotate@example.com' });
    const old = links(reader);
    const answer = await session().post('/manage/new-link', { token: tokenIn(old.manageUrl) });
    expect(answer.status).toBe(202);
    const mail = await h.sink.waitFor('rotate@example.com');
    const fresh = /http:\/\/[^\s]+\/manage\?token=[\w.-]+/.exec(mail.email.text ?? '')?.[0] ?? '';
    expect(fresh).not.toBe(old.manageUrl);
    expect((await fetch(fresh)).status).toBe(200);
    for (const url of [old.manageUrl, old.unsubscribeUrl]) expect((await fetch(url)).status).toBe(404);
    const stale = await session().post('/manage', prefs(tokenIn(old.manageUrl)));
    expect(stale.status).toBe(404);
  });

  test('tampered tokens get the same 404 on every page and action', async () => {
    const reader = await createSubscriber(h.db, { email: 'tamper@example.com' });
    const good = tokenIn(links(reader).manageUrl);
    const bad = `${good.slice(0, -3)}${good.endsWith('A') ? 'B' : 'A'}AA`;
    const bodies = new Set<string>();
    const requests: [string, string][] = [
      ['GET', `/manage?token=${bad}`],
      ['GET', `/manage/data?token=${bad}`],
      ['GET', `/feed.xml?token=${bad}`],
      ['POST', '/manage'],
      ['POST', '/manage/delete'],
      ['POST', '/manage/new-link'],
      ['POST', '/unsubscribe/resubscribe'],
      ['POST', '/unsubscribe/pause'],
    ];
    for (const [method, path] of requests) {
      const answer =
        method === 'GET'
          ? await session().open(path)
          : await session().post(path, prefs(bad, { confirm: 'yes' }));
      expect(answer.status, path).toBe(404);
      bodies.add(answer.html);
    }
    expect(bodies.size).toBe(1);
    expect(await h.db.subscriber.count({ where: { id: reader.id } })).toBe(1);
  });
});

test('unsubscribe offers "Resubscribe" and "Pause instead"', async () => {
  const reader = await createSubscriber(h.db, { email: 'leaver@example.com' });
  const token = tokenIn(links(reader).unsubscribeUrl);
  const done = await session().post('/unsubscribe', { token });
  expect(done.html).toMatch(/<button type="submit">Resubscribe<\/button>/);
  expect(done.html).toMatch(/<button type="submit" class="secondary">Pause instead<\/button>/);
  expect((await session().post('/unsubscribe/resubscribe', { token })).html).toContain('Welcome back');
  expect(await statusOf(reader.id)).toBe('active');
  await session().post('/unsubscribe', { token });
  expect((await session().post('/unsubscribe/pause', { token })).html).toContain('paused');
  expect(await statusOf(reader.id)).toBe('paused');
});

describe('bad bodies are a 4xx page, never a 500', () => {
  const raw = (path: string, body: string, type = 'application/x-www-form-urlencoded') =>
    fetch(`${h.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  const cases: [string, () => Promise<Response>, number][] = [
    ['a 100 KB form', () => raw('/', `email=${'a'.repeat(100_000)}`), 413],
    [
      'too many fields',
      () => raw('/manage', Array.from({ length: 300 }, (_, i) => `f${i}=1`).join('&')),
      413,
    ],
    ['malformed JSON to a page', () => raw('/manage', '{"token":', 'application/json'), 400],
    [
      'an unsupported charset',
      () => raw('/', 'email=a', 'application/x-www-form-urlencoded; charset=utf-7'),
      415,
    ],
    [
      'JSON objects where text belongs',
      () => raw('/', '{"email":{"$ne":1},"topics":[{}]}', 'application/json'),
      400,
    ],
    ['a repeated token', () => raw('/manage', 'token=a&token=b'), 404],
    ['a repeated email', () => raw('/manage/link', 'email=a@example.com&email=b@example.com'), 400],
    ['no body at all', () => fetch(`${h.baseUrl}/manage/delete`, { method: 'POST' }), 404],
    ['an unknown topic feed', () => fetch(`${h.baseUrl}/topics/%3Cx%3E/feed.xml`), 404],
  ];
  test.each(cases)('%s', async (_name, send, status) => {
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/text\/html|application\/json/);
  });
});

describe('XSS payloads are rendered escaped', () => {
  test('in every landing and "email me a link" field', async () => {
    const s = session();
    const { html } = await s.open('/');
    const fields = {
      email: XSS,
      interests: XSS,
      authors: XSS,
      timezone: XSS,
      deliveryHour: XSS,
      topics: 'optimization',
    };
    const answer = await s.post('/', { ...fields, _csrf: FormSession.csrfIn(html) });
    expect(answer.status).toBe(400);
    expect(answer.html).not.toContain(XSS);
    expect(answer.html).toContain(ESCAPED);
    const link = await s.post('/manage/link', { email: XSS, _csrf: FormSession.csrfIn(html) });
    expect(link.status).toBe(400);
    expect(link.html).not.toContain(XSS);
    expect(link.html).toContain(ESCAPED);
  });

  test('in every manage field, saved or refused, and in paper titles on the landing page', async () => {
    const reader = await createSubscriber(h.db, { email: 'xss@example.com' });
    const token = tokenIn(links(reader).manageUrl);
    await session().post('/manage', prefs(token, { interests: XSS, authors: XSS, excludes: XSS }));
    const page = await session().open(`/manage?token=${token}`);
    expect(page.html).not.toContain(XSS);
    expect(page.html.split(ESCAPED).length - 1).toBe(3);
    const refused = await session().post(
      '/manage',
      prefs(token, { timezone: XSS, maxPapers: XSS, frequency: XSS, deliveryWeekday: XSS }),
    );
    expect(refused.status).toBe(400);
    expect(refused.html).not.toContain(XSS);

    await seedSamplePapers(h.db, new Date());
    await h.db.paper.create({
      data: {
        id: 'xss-paper',
        title: XSS,
        abstract: 'a',
        authors: [XSS],
        pageUrl: 'javascript:alert(1)',
        upvotes: 10_000,
      },
    });
    const landing = await session().open('/');
    expect(landing.html).not.toContain(XSS);
    expect(landing.html).toContain(ESCAPED);
    expect(landing.html).not.toContain('javascript:');
  });
});
