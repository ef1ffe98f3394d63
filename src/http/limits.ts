import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { tooManyRequests } from '../errors.ts';

/** How many requests that send email one IP may make per window. */
export interface RateLimitOptions {
  windowMs: number;
  limit: number;
}

/** The default: 30 subscribe or "email me a link" requests per IP per 15 minutes. */
export const DEFAULT_SEND_LIMIT: RateLimitOptions = { windowMs: 15 * 60 * 1000, limit: 30 };

/**
 * A per-IP limiter (in this process's memory; the per-address limit, which is what protects a
 * reader's inbox, lives in the database). Refusals go through the error middleware, so pages get
 * an error page and the API a JSON error.
 */
export function sendLimiter(options: RateLimitOptions = DEFAULT_SEND_LIMIT): RequestHandler {
  return rateLimit({
    windowMs: options.windowMs,
    limit: options.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(tooManyRequests()),
  });
}
