import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { readerLinks } from '../../src/subscribers/links.ts';
import { suppressionHash } from '../../src/subscribers/subscribers.queries.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { FormSession, seedSamplePapers } from '../helpers/pages.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await seedSamplePapers(h.db, new Date());
});
afterAll(() => h?.close());

const links = (who: { id: string; tokenVersion: number }) => readerLinks(h.deps.config, who);
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

/** Subscribes through the landing form as a browser would: GET for the cookie and field, then POST. */
async function subscribeByForm(fields: Record<string, string | string[]>) {
  const session = new FormSession(h.baseUrl);
  const { html } = await session.open('/');
  return session.post('/', { _csrf: FormSession.csrfIn(html), topics: 'optimization', ...fields });
}

describe('the landing page', () => {
  test('shows the promise, today’s papers, and a labelled, grouped form behind a strict CSP', async () => {
    const response = await fetch(`${h.baseUrl}/`);
    const html = await response.text();
    expect(html).toContain('Get trending papers in your email inbox once a day!');
    expect(html).toMatch(/<label for="email">Email<\/label>/);
    expect(html).toMatch(/<legend>Foundations<\/legend>/);
    expect(html).toMatch(
      /<input type="checkbox" name="topics" value="optimization"> <span>Optimization for deep learning<\/span>/,
    );
    expect(html).toContain('Your interests');
    expect(html).toMatch(/<button type="submit">Subscribe<\/button>/);
    expect(html).toMatch(/<ol class="papers">\s*<li>/);
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script at all
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.getSetCookie()[0]).toMatch(/^pb_csrf=[\w-]+; Path=\/; HttpOnly; SameSite=Lax$/);
    const script = await fetch(`${h.baseUrl}/assets/app.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain('resolvedOptions().timeZone');
  });

  test('subscribing by form stores topics, interests, authors, hour and time zone', async () => {
    const answer = await subscribeByForm({
      email: 'form@example.com',
      topics: ['optimization', 'learning-theory'],
      interests: 'tiny models\n\nsparse attention',
      authors: 'Ada Lovelace',
      deliveryHour: '17',
      timezone: 'Europe/Berlin',
    });
    expect(answer.status).toBe(202);
    expect(answer.html).toContain('Check your inbox');
    const row = await h.db.subscriber.findUniqueOrThrow({
      where: { email: 'form@example.com' },
      include: { topics: true, interests: true },
    });
    expect(row).toMatchObject({ status: 'pending', deliveryHour: 17, timezone: 'Europe/Berlin' });
    expect(row.topics.map((t) => t.topicSlug).sort()).toEqual(['learning-theory', 'optimization']);
    expect(row.interests.map((i) => `${i.kind}:${i.value}`).sort()).toEqual([
      'author:Ada Lovelace',
      'text:sparse attention',
      'text:tiny models',
    ]);
    await h.sink.waitFor('form@example.com');
  });
});

describe('CSRF', () => {
  test('the subscribe and "email me a link" forms refuse a missing, forged or cookie-less token', async () => {
    const session = new FormSession(h.baseUrl);
    const good = FormSession.csrfIn((await session.open('/')).html);
    const fields = { email: 'csrf@example.com', topics: 'optimization' };
    const stranger = new FormSession(h.baseUrl); // a cross-site post: no cookie of ours
    const refusals = [
      await session.post('/', fields),
      await session.post('/', { ...fields, _csrf: `${good.slice(0, -2)}AA` }),
      await stranger.post('/', { ...fields, _csrf: good }),
      await session.post('/manage/link', { email: 'csrf@example.com' }),
      await stranger.post('/manage/link', { email: 'csrf@example.com', _csrf: good }),
    ];
    for (const refusal of refusals) {
      expect(refusal.status).toBe(403);
      expect(refusal.html).toContain('This form has expired');
      expect(refusal.html).toContain('value="csrf@example.com"'); // what was typed is kept
    }
    await settle();
    expect(await h.db.subscriber.count({ where: { email: 'csrf@example.com' } })).toBe(0);
    expect(h.sink.to('csrf@example.com')).toHaveLength(0);
    expect((await session.post('/', { ...fields, _csrf: good })).status).toBe(202);
  });

  test('the one-click unsubscribe POST needs no cookie and no CSRF token', async () => {
    const reader = await createSubscriber(h.db, { email: 'oneclick@example.com' });
    const response = await fetch(links(reader).unsubscribeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      redirect: 'manual',
    });
    expect(response.status).toBe(200);
    expect((await h.db.subscriber.findUniqueOrThrow({ where: { id: reader.id } })).status).toBe(
      'unsubscribed',
    );
  });
});

test('a filled honeypot gets the ordinary answer and nothing is stored or sent', async () => {
  const bot = await subscribeByForm({ email: 'bot@example.com', website: 'http://spam.example' });
  const person = await subscribeByForm({ email: 'person@example.com' });
  expect(bot.status).toBe(202);
  expect(bot.html).toBe(person.html);
  await h.sink.waitFor('person@example.com');
  await settle();
  expect(await h.db.subscriber.count({ where: { email: 'bot@example.com' } })).toBe(0);
  expect(h.sink.to('bot@example.com')).toHaveLength(0);
});

describe('no enumeration', () => {
  test('subscribe answers new, pending, active, unsubscribed and erased addresses identically', async () => {
    await createSubscriber(h.db, { email: 'enum-active@example.com', status: 'active' });
    await createSubscriber(h.db, { email: 'enum-pending@example.com', status: 'pending' });
    await createSubscriber(h.db, { email: 'enum-gone@example.com', status: 'unsubscribed' });
    await h.db.suppression.create({
      data: { emailHash: suppressionHash('enum-erased@example.com'), reason: 'erased' },
    });
    const emails = ['enum-new', 'enum-active', 'enum-pending', 'enum-gone', 'enum-erased'];
    const answers = new Set<string>();
    for (const name of emails) {
      const { status, html } = await subscribeByForm({ email: `${name}@example.com` });
      answers.add(`${status} ${html}`);
    }
    expect(answers.size).toBe(1);
    expect([...answers][0]).toMatch(/^202 /);
  });

  test('"email me a link" answers known and unknown addresses identically, and mails only the known', async () => {
    const reader = await createSubscriber(h.db, { email: 'known@example.com', status: 'active' });
    await h.db.suppression.create({
      data: { emailHash: suppressionHash('erased@example.com'), reason: 'erased' },
    });
    const answers = new Set<string>();
    for (const email of [
      'known@example.com',
      'nobody@example.com',
      'erased@example.com',
      'KNOWN@example.com',
    ]) {
      const session = new FormSession(h.baseUrl);
      const { html } = await session.open('/manage');
      expect(html).toMatch(/<button type="submit">Email me a link<\/button>/);
      const answer = await session.post('/manage/link', { email, _csrf: FormSession.csrfIn(html) });
      answers.add(`${answer.status} ${answer.html}`);
    }
    expect(answers.size).toBe(1);
    expect([...answers][0]).toMatch(/^202 /);
    const mail = await h.sink.waitFor('known@example.com');
    expect(mail.email.text).toContain(links(reader).manageUrl);
    await settle();
    // Asked twice within ten minutes: one email. Unknown and erased addresses: none.
    expect(h.sink.to('known@example.com')).toHaveLength(1);
    expect(h.sink.to('nobody@example.com')).toHaveLength(0);
    expect(h.sink.to('erased@example.com')).toHaveLength(0);
  });
});

test('per-IP rate limits answer 429: a page for forms, JSON for the API', async () => {
  const app = createApp(h.deps, { sendLimit: { windowMs: 60_000, limit: 2 } });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const post = (path: string, body: string, type: string) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    const form = 'application/x-www-form-urlencoded';
    expect((await post('/manage/link', 'email=a@example.com', form)).status).toBe(403);
    expect((await post('/manage/link', 'email=a@example.com', form)).status).toBe(403);
    const limited = await post('/manage/link', 'email=a@example.com', form);
    expect(limited.status).toBe(429);
    expect(await limited.text()).toContain('Too many requests');
    const api = await post('/api/subscriptions', '{}', 'application/json');
    expect(api.status).toBe(429);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('too_many_requests');
    expect((await fetch(`${base}/`)).status).toBe(200); // reading pages is not limited
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
