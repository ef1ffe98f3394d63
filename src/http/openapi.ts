import { Router } from 'express';
import { z } from 'zod';
import packageJson from '../../package.json' with { type: 'json' };
import { SubscribeSchema } from '../subscribers/subscribe.schema.ts';
import {
  ErrorSchema,
  HealthSchema,
  MyDataSchema,
  ReadinessSchema,
  SubscribeAcceptedSchema,
  TopicListSchema,
} from './responses.schema.ts';

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1) as the document holds it. */
type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as JSON Schema: requests as the client may send them (`input`: defaults make a
 * field optional), answers as the server sends them (`output`: no field beyond those listed).
 */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12' });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
const answer = (description: string, name: string) => ({ description, content: json(name) });
const refused = (description: string) => answer(description, 'Error');

const subscribe = {
  operationId: 'subscribe',
  summary: 'Subscribe an address; it gets a confirmation email (double opt-in)',
  description:
    'Unknown fields are refused. Every valid request gets the same answer, so it never reveals whether an address is already subscribed.',
  requestBody: { required: true, content: json('SubscribeRequest') },
  responses: {
    202: answer(
      'Accepted: a confirmation email is on its way (or the address needs none)',
      'SubscribeAccepted',
    ),
    400: refused('Invalid input (`field` names it) or malformed JSON'),
    413: refused('Body over 32 KB'),
    415: refused('Content-Type is not application/json'),
    429: refused('Too many requests from this IP'),
  },
};

const manageData = {
  operationId: 'downloadMyData',
  summary: '"Download my data": everything stored about the reader behind a manage link',
  parameters: [
    {
      name: 'token',
      in: 'query',
      required: true,
      description: 'the signed manage token from an email link',
      schema: { type: 'string' },
    },
  ],
  responses: {
    200: answer('The reader’s data (served as a download)', 'MyData'),
    404: {
      description: 'Unknown, expired, revoked or tampered token (all alike); JSON when asked for',
      content: { ...json('Error'), 'text/html': { schema: { type: 'string' } } },
    },
  },
};

const operations = {
  '/api/subscriptions': { post: subscribe },
  '/api/topics': {
    get: {
      operationId: 'listTopics',
      summary: 'The built-in topics a reader can choose',
      responses: { 200: answer('Every topic, by group then name', 'TopicList') },
    },
  },
  '/manage/data': { get: manageData },
  '/healthz': {
    get: {
      operationId: 'health',
      summary: 'Liveness: the process answers (checks nothing else)',
      responses: { 200: answer('Up', 'Health') },
    },
  },
  '/readyz': {
    get: {
      operationId: 'readiness',
      summary: 'Readiness: database reachable, migrations applied, SMTP relay reachable',
      responses: {
        200: answer('Every check passed', 'Readiness'),
        503: answer('At least one check failed; each names its error', 'Readiness'),
      },
    },
  },
  '/metrics': {
    get: {
      operationId: 'metrics',
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      responses: {
        200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } },
      },
    },
  },
  '/api/openapi.json': {
    get: {
      operationId: 'openapi',
      summary: 'This document',
      responses: {
        200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  },
};

/** The OpenAPI 3.1 document of the JSON API and the operational endpoints. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Paperboy',
      version: packageJson.version,
      description: packageJson.description,
    },
    // Relative: the paths are wherever this document was fetched from (behind any proxy).
    servers: [{ url: '/' }],
    paths: operations,
    components: {
      schemas: {
        SubscribeRequest: jsonSchema(SubscribeSchema, 'input'),
        SubscribeAccepted: jsonSchema(SubscribeAcceptedSchema, 'output'),
        TopicList: jsonSchema(TopicListSchema, 'output'),
        MyData: jsonSchema(MyDataSchema, 'output'),
        Health: jsonSchema(HealthSchema, 'output'),
        Readiness: jsonSchema(ReadinessSchema, 'output'),
        Error: jsonSchema(ErrorSchema, 'output'),
      },
    },
  };
}

/** Serves the document at GET /api/openapi.json (built once). */
export function openApiRoutes(): Router {
  const router = Router();
  const document = openApiDocument();
  router.get('/api/openapi.json', (_req, res) => {
    res.json(document);
  });
  return router;
}
