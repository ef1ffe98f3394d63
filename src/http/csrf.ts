import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { AppError } from '../errors.ts';

const COOKIE = 'pb_csrf';
const FIELD = '_csrf';

/**
 * CSRF protection for the two forms that carry no link token (subscribe, "email me a link"):
 * a signed double-submit cookie. The cookie holds a random nonce; the form holds
 * HMAC(secret, nonce). A cross-site page can make a browser send the cookie but can neither read
 * it nor compute the HMAC, so it cannot fill the field. The forms behind email links need none of
 * this: their signed, purpose-scoped link token is itself a secret the attacker cannot know.
 */
export interface Csrf {
  /** The field value for a form on this response; sets the cookie when the request had none. */
  issue(req: Request, res: Response): string;
  /** Whether the request's form field matches its cookie. */
  verify(req: Request): boolean;
}

/** The name of the hidden form field that carries the CSRF token. */
export const CSRF_FIELD = FIELD;

function cookieOf(req: Request): string | undefined {
  const header = req.get('cookie') ?? '';
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) {
      const nonce = value.join('=');
      return /^[\w-]{22,64}$/.test(nonce) ? nonce : undefined;
    }
  }
  return undefined;
}

/** Builds the CSRF helpers around the app's secret; `secure` marks the cookie HTTPS-only. */
export function createCsrf(secret: string, secure: boolean): Csrf {
  const sign = (nonce: string) => createHmac('sha256', `${secret}:csrf`).update(nonce).digest('base64url');
  return {
    issue(req, res) {
      let nonce = cookieOf(req) ?? (res.locals.csrfNonce as string | undefined);
      if (!nonce) {
        nonce = randomBytes(18).toString('base64url');
        res.locals.csrfNonce = nonce;
        res.cookie(COOKIE, nonce, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
      }
      return sign(nonce);
    },
    verify(req) {
      const nonce = cookieOf(req);
      const body = req.body as Record<string, unknown> | undefined;
      const given = body?.[FIELD];
      if (!nonce || typeof given !== 'string' || given.length > 100) return false;
      const expected = Buffer.from(sign(nonce));
      const actual = Buffer.from(given);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}

/** The same "form expired" answer for a missing or forged CSRF token, shown next to the form. */
export const csrfRefused = () =>
  new AppError(403, 'csrf', 'This form has expired. Please check it and send it again.', true, {
    field: 'form',
  });
