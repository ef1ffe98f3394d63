import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
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
    if (error.status >= 500) log.error({ err, method: req.method, path: req.path }, 'request failed');
    else log.debug({ status: error.status, code: error.code, path: req.path }, 'request refused');
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
