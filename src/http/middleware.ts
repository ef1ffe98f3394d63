import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Histogram } from 'prom-client';
import type { z } from 'zod';
import { AppError, badRequest } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RequestContext } from '../subscribers/subscribers.queries.ts';
import type { PageRenderer } from './pages.ts';

/** Parses `req.body` with `schema`; a failure is a 400 naming the first field at fault. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length
    ? issue.path.join('.')
    : issue?.code === 'unrecognized_keys'
      ? issue.keys[0]
      : undefined;
  const message =
    issue?.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : issue?.message;
  throw badRequest(field ? `${field} ${message}` : (message ?? 'invalid request'), {
    field: field ?? issue?.path[0],
  });
}

/** Who made the request, for consent records. */
export function requestContext(req: Request): RequestContext {
  return { ip: req.ip, userAgent: req.get('user-agent') };
}

/** Gives every request an id (kept from X-Request-Id when sane) and a child logger that carries it. */
export function requestId(log: Logger): RequestHandler {
  return (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    res.locals.requestId = id;
    res.locals.log = log.child({ requestId: id });
    next();
  };
}

/** Successful probes and scrapes come every few seconds; they are logged at debug, not info. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * The route pattern that handled `req` (`/digest/:id`), or `unmatched`. Never the URL: links carry
 * tokens in their query strings, and an unknown path is whatever a client chose to send (an
 * address, a token, endless distinct values). Every router is mounted at the root, so the pattern
 * is the whole path.
 */
function routeOf(req: Request): string {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? path : 'unmatched';
}

/**
 * One access-log line (method, route pattern, status, durationMs, with the request id of the
 * child logger) and one duration sample per request, written when the response is done.
 */
export function accessLog(durations: Histogram<'method' | 'route' | 'status'>): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(req);
      const status = res.statusCode;
      durations.observe({ method: req.method, route, status: String(status) }, seconds);
      const log: Logger = res.locals.log;
      const level = PROBES.has(route) && status < 400 ? 'debug' : 'info';
      const aborted = res.writableFinished ? {} : { aborted: true };
      log[level](
        {
          event: 'http.request',
          method: req.method,
          route,
          status,
          durationMs: Math.round(seconds * 1e4) / 10,
          ...aborted,
        },
        'request',
      );
    });
    next();
  };
}

function wantsJson(req: Request): boolean {
  return req.path.startsWith('/api/') || (req.get('accept') ?? '').startsWith('application/json');
}

/** Turns thrown errors into a JSON error or an error page; only unexpected ones are logged as errors. */
export function errorHandler(
  pages: PageRenderer,
): (err: unknown, req: Request, res: Response, next: NextFunction) => void {
  return (err, req, res, _next) => {
    const error = toAppError(err);
    const log: Logger = res.locals.log;
    // The route pattern, not req.path: a path may hold whatever the client put in it.
    const route = routeOf(req);
    if (error.status >= 500) log.error({ err, method: req.method, route }, 'request failed');
    else log.debug({ status: error.status, code: error.code, route }, 'request refused');
    if (res.headersSent) return;
    const message = error.expose
      ? error.message
      : 'Something went wrong on our side. Please try again later.';
    res.status(error.status);
    if (wantsJson(req)) {
      res.json({ error: { code: error.code, message, ...(error.details ?? {}) } });
      return;
    }
    res.type('html').send(
      pages.render('error', {
        title: error.status === 404 ? 'Not found' : 'Sorry',
        status: error.status,
        message,
      }),
    );
  };
}

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // body-parser's errors carry a status and say whether their message is for the client.
  const candidate = err as { status?: unknown; expose?: unknown; type?: unknown; message?: unknown };
  if (typeof candidate.status === 'number' && candidate.status >= 400 && candidate.status < 500) {
    const messages: Record<string, string> = {
      'entity.parse.failed': 'the request body is not valid JSON',
      'entity.too.large': 'the request body is too large',
      'encoding.unsupported': 'the request body has an unsupported encoding',
      'charset.unsupported': 'the request body has an unsupported charset',
    };
    const message = messages[String(candidate.type)] ?? 'the request could not be read';
    return new AppError(
      candidate.status,
      String(candidate.type ?? 'bad_request').replace(/\W/g, '_'),
      message,
    );
  }
  return new AppError(500, 'internal', 'internal error', false);
}
