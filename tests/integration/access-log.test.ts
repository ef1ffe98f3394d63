import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/log.ts';
import { readerLinks } from '../../src/subscribers/links.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { serveApp } from '../helpers/serve.ts';

interface LogLine {
  level: number;
  msg?: string;
  event?: string;
  requestId?: string;
  method?: string;
  route?: string;
  status?: number;
  durationMs?: number;
}

const READER = 'log-reader@example.com';
const NEWCOMER = 'log-newcomer@example.com';

let h: Harness;
let app: { url: string; close(): Promise<void> };
/** Every line the app logged, raw, as pino wrote it. */
const raw: string[] = [];
beforeAll(async () => {
  h = await startHarness({ http: false });
  const destination = new Writable({
    write(chunk, _encoding, done) {
      raw.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  app = await serveApp(createApp({ ...h.deps, log: createLogger('debug', 1, destination) }));
});
afterAll(async () => {
  await app?.close();
  await h?.close();
});

const lines = () => raw.map((line) => JSON.parse(line) as LogLine);

/** The access-log line of the request with this id; it is written when the response closes. */
async function accessLine(requestId: string | null): Promise<LogLine> {
  for (let i = 0; i < 50; i++) {
    const line = lines().find((l) => l.event === 'http.request' && l.requestId === requestId);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no access-log line for request ${requestId}`);
}

test('each request gets one access-log line with method, route pattern, status, duration and request id', async () => {
  const res = await fetch(`${app.url}/api/topics`, { headers: { 'X-Request-Id': 'probe-123' } });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-request-id')).toBe('probe-123');
  const line = await accessLine('probe-123');
  expect(line).toMatchObject({ level: 30, msg: 'request', method: 'GET', route: '/api/topics', status: 200 });
  expect(line.durationMs).toBeGreaterThanOrEqual(0);
  expect(lines().filter((l) => l.event === 'http.request' && l.requestId === 'probe-123')).toHaveLength(1);
});

test('tokenised URLs, ids and addresses never reach the log: the route pattern stands in for the URL', async () => {
  const reader = await createSubscriber(h.db, { email: READER });
  const links = readerLinks(h.deps.config, reader);
  const token = new URL(links.manageUrl).searchParams.get('token') ?? '';
  const unsubscribeToken = new URL(links.unsubscribeUrl).searchParams.get('token') ?? '';
  const digestId = '0b5c3c4e-5d1a-4f4e-9a7e-2f1f2a3b4c5d';

  const manage = await fetch(`${app.url}/manage?token=${token}&saved=1`);
  expect(manage.status).toBe(200);
  expect(await accessLine(manage.headers.get('x-request-id'))).toMatchObject({
    route: '/manage',
    status: 200,
  });

  const digest = await fetch(`${app.url}/digest/${digestId}?token=${token}`);
  expect(await accessLine(digest.headers.get('x-request-id'))).toMatchObject({
    route: '/digest/:id',
    status: digest.status,
  });

  const oneClick = await fetch(`${app.url}/unsubscribe?token=${unsubscribeToken}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(oneClick.status).toBe(200);
  expect(await accessLine(oneClick.headers.get('x-request-id'))).toMatchObject({
    method: 'POST',
    route: '/unsubscribe',
  });

  const subscribe = await fetch(`${app.url}/api/subscriptions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: NEWCOMER, topics: ['graph-neural-networks'] }),
  });
  expect(subscribe.status).toBe(202);
  await accessLine(subscribe.headers.get('x-request-id'));

  // An unknown path is whatever the client sent; it is logged as "unmatched", not echoed.
  const unknown = await fetch(`${app.url}/manage/${token}/${encodeURIComponent(READER)}`);
  expect(unknown.status).toBe(404);
  expect(await accessLine(unknown.headers.get('x-request-id'))).toMatchObject({
    route: 'unmatched',
    status: 404,
  });

  const everything = raw.join('\n');
  expect(raw.length).toBeGreaterThan(5);
  for (const secret of [token, unsubscribeToken, digestId, READER, NEWCOMER, 'token=', '@example.com']) {
    expect(everything).not.toContain(secret);
  }
});

test('successful probes and scrapes are logged at debug, so they do not flood the info log', async () => {
  for (const path of ['/healthz', '/metrics']) {
    const res = await fetch(`${app.url}${path}`);
    expect(res.status).toBe(200);
    expect(await accessLine(res.headers.get('x-request-id'))).toMatchObject({ level: 20, route: path });
  }
});
