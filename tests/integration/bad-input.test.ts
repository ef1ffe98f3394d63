import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createToken } from '../../src/subscribers/tokens.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness, TEST_SECRET } from '../helpers/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

/** Everything a refused request must leave as it was. */
async function snapshot() {
  const [subscribers, topics, interests, events] = await Promise.all([
    h.db.subscriber.findMany({ orderBy: { email: 'asc' } }),
    h.db.subscriberTopic.count(),
    h.db.interest.count(),
    h.db.consentEvent.count(),
  ]);
  return { subscribers, topics, interests, events, mails: h.sink.messages.length };
}

const postJson = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${h.baseUrl}/api/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

describe('POST /api/subscriptions refuses bad input with a 4xx that names the problem, and changes nothing', () => {
  const cases: [string, () => Promise<Response>, number, RegExp][] = [
    ['malformed JSON', () => postJson('{"email": "a@example.com", "topics": [}'), 400, /not valid JSON/],
    [
      'a 1 MB body',
      () => postJson(JSON.stringify({ email: 'a@example.com', topics: ['x'.repeat(1_000_000)] })),
      413,
      /too large/,
    ],
    [
      'an invalid email',
      () => postJson(JSON.stringify({ email: 'not-an-email', topics: ['optimization'] })),
      400,
      /^email /,
    ],
    [
      'unknown topic slugs',
      () => postJson(JSON.stringify({ email: 'a@example.com', topics: ['optimization', 'astrology'] })),
      400,
      /unknown topics: astrology/,
    ],
    ['no topics', () => postJson(JSON.stringify({ email: 'a@example.com', topics: [] })), 400, /^topics /],
    [
      'an unknown field',
      () => postJson(JSON.stringify({ email: 'a@example.com', topics: ['optimization'], admin: true })),
      400,
      /unknown field admin/,
    ],
    [
      'a bad delivery hour',
      () => postJson(JSON.stringify({ email: 'a@example.com', topics: ['optimization'], deliveryHour: 25 })),
      400,
      /^deliveryHour /,
    ],
    [
      'a bad timezone',
      () =>
        postJson(
          JSON.stringify({ email: 'a@example.com', topics: ['optimization'], timezone: 'Mars/Olympus' }),
        ),
      400,
      /^timezone /,
    ],
    [
      'a form body instead of JSON',
      () => postJson('email=a@example.com', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      /send JSON/,
    ],
  ];

  test.each(cases)('%s', async (_name, send, status, message) => {
    const before = await snapshot();
    const response = await send();
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(message);
    expect(await snapshot()).toEqual(before);
  });
});

test('a 400 names the field at fault, unknown fields included', async () => {
  const invalid = await postJson(JSON.stringify({ email: 'nope', topics: ['optimization'] }));
  expect(((await invalid.json()) as { error: { field: string } }).error.field).toBe('email');
  const unknown = await postJson(
    JSON.stringify({ email: 'a@example.com', topics: ['optimization'], admin: true }),
  );
  expect(((await unknown.json()) as { error: { field: string } }).error.field).toBe('admin');
});

test('the answer is the same for a new, a pending and an active address (no enumeration)', async () => {
  await createSubscriber(h.db, { email: 'active@example.com', status: 'active' });
  await createSubscriber(h.db, { email: 'pending@example.com', status: 'pending' });
  const answers = await Promise.all(
    ['new@example.com', 'pending@example.com', 'active@example.com'].map(async (email) => {
      const response = await postJson(JSON.stringify({ email, topics: ['optimization'] }));
      return { status: response.status, body: await response.text() };
    }),
  );
  expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
  expect(answers[0]?.status).toBe(202);
  // An active reader's topics are not a stranger's to change.
  const active = await h.db.subscriber.findUniqueOrThrow({
    where: { email: 'active@example.com' },
    include: { topics: true },
  });
  expect(active.topics.map((t) => t.topicSlug)).toEqual(['graph-neural-networks']);
  const note = await h.sink.waitFor('active@example.com');
  expect(note.email.subject).toBe('Your Paperboy subscription');
});

test('an address gets at most one confirmation email per 10 minutes, whatever is posted', async () => {
  for (let i = 0; i < 3; i++) {
    expect(
      (await postJson(JSON.stringify({ email: 'flood@example.com', topics: ['optimization'] }))).status,
    ).toBe(202);
  }
  await h.sink.waitFor('flood@example.com');
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(h.sink.to('flood@example.com')).toHaveLength(1);
});

describe('link tokens', () => {
  test('tampered, wrong-purpose, revoked and unknown tokens all get the same 404 page and change nothing', async () => {
    const reader = await createSubscriber(h.db, { email: 'tokens@example.com', status: 'active' });
    const good = createToken(TEST_SECRET, {
      purpose: 'unsubscribe',
      subscriberId: reader.id,
      version: 1,
      expiresAt: 0,
    });
    const [payload = '', signature = ''] = good.split('.');
    const flipped = `${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const manageToken = createToken(TEST_SECRET, {
      purpose: 'manage',
      subscriberId: reader.id,
      version: 1,
      expiresAt: 0,
    });
    const revoked = createToken(TEST_SECRET, {
      purpose: 'unsubscribe',
      subscriberId: reader.id,
      version: 0,
      expiresAt: 0,
    });
    const otherKey = createToken('another-secret-key-of-sufficient-length!!', {
      purpose: 'unsubscribe',
      subscriberId: reader.id,
      version: 1,
      expiresAt: 0,
    });
    const before = await snapshot();
    const pages = new Set<string>();
    for (const token of [flipped, manageToken, revoked, otherKey, 'garbage', '']) {
      for (const method of ['GET', 'POST']) {
        const response = await fetch(`${h.baseUrl}/unsubscribe?token=${encodeURIComponent(token)}`, {
          method,
          ...(method === 'POST'
            ? {
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: 'List-Unsubscribe=One-Click',
              }
            : {}),
        });
        expect(response.status).toBe(404);
        pages.add(await response.text());
      }
    }
    expect(pages.size).toBe(1);
    expect(await snapshot()).toEqual(before);
    // …and the intact token still works.
    const response = await fetch(`${h.baseUrl}/unsubscribe?token=${good}`, { method: 'POST' });
    expect(response.status).toBe(200);
  });

  test('GET of an unsubscribe link shows a button and changes nothing', async () => {
    const reader = await createSubscriber(h.db, { email: 'scanner@example.com', status: 'active' });
    const token = createToken(TEST_SECRET, {
      purpose: 'unsubscribe',
      subscriberId: reader.id,
      version: 1,
      expiresAt: 0,
    });
    const response = await fetch(`${h.baseUrl}/unsubscribe?token=${token}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/<button[^>]*>Unsubscribe<\/button>/);
    expect((await h.db.subscriber.findUniqueOrThrow({ where: { id: reader.id } })).status).toBe('active');
  });

  test('an expired confirmation link is refused', async () => {
    const reader = await createSubscriber(h.db, { email: 'late@example.com', status: 'pending' });
    const token = createToken(TEST_SECRET, {
      purpose: 'confirm',
      subscriberId: reader.id,
      version: 1,
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    const response = await fetch(`${h.baseUrl}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    expect(response.status).toBe(404);
    expect((await h.db.subscriber.findUniqueOrThrow({ where: { id: reader.id } })).status).toBe('pending');
  });
});

test('the landing form re-renders with the error next to what was typed, escaped', async () => {
  const response = await fetch(`${h.baseUrl}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: '<script>alert(1)</script>', topics: 'optimization' }),
  });
  expect(response.status).toBe(400);
  const html = await response.text();
  expect(html).toContain('email must be a valid email address');
  expect(html).not.toContain('<script>alert(1)</script>');
  expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
});

test('GET /api/topics lists at least 15 built-in topics', async () => {
  const body = (await (await fetch(`${h.baseUrl}/api/topics`)).json()) as {
    topics: { slug: string; name: string }[];
  };
  expect(body.topics.length).toBeGreaterThanOrEqual(15);
  expect(body.topics.map((t) => t.slug)).toContain('graph-neural-networks');
});
