import { createHmac, type Hmac, timingSafeEqual } from 'node:crypto';

/** What a link may do; a token made for one purpose is refused for every other. */
export type TokenPurpose = 'confirm' | 'manage' | 'unsubscribe' | 'digest' | 'feed';

/** The verified content of a link token. */
export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: string;
  /** The subscriber's token version when the link was made; bumping it revokes every link. */
  version: number;
  /** Seconds since the epoch after which the link no longer works, or 0 for never. */
  expiresAt: number;
  /** For `digest` links: the delivery the link shows. */
  ref?: string;
}

function hmac(secret: string, purpose: string, payload: string): Hmac {
  // The purpose is part of the key, so a signature for one purpose means nothing for another.
  return createHmac('sha256', `${secret}:${purpose}`).update(payload);
}

/** Makes a URL-safe signed token carrying `claims`. */
export function createToken(secret: string, claims: TokenClaims): string {
  // Every digest carries three: the signature is encoded by the digest itself, with no Buffer between.
  const body = `${claims.subscriberId}.${claims.version}.${claims.expiresAt}.${claims.ref ?? ''}`;
  const payload = Buffer.from(body).toString('base64url');
  return `${payload}.${hmac(secret, claims.purpose, payload).digest('base64url')}`;
}

/** The claims of `token` when it is intact, made for `purpose`, and not expired at `now`; else null. */
export function verifyToken(
  secret: string,
  purpose: TokenPurpose,
  token: string,
  now: Date,
): TokenClaims | null {
  if (token.length > 512) return null;
  const [payload, signature, extra] = token.split('.');
  if (!payload || !signature || extra !== undefined) return null;
  const expected = hmac(secret, purpose, payload).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const [subscriberId, version, expiresAt, ref] = Buffer.from(payload, 'base64url')
    .toString('utf8')
    .split('.');
  const claims: TokenClaims = {
    purpose,
    subscriberId: subscriberId ?? '',
    version: Number(version),
    expiresAt: Number(expiresAt),
    ...(ref ? { ref } : {}),
  };
  if (!claims.subscriberId || !Number.isInteger(claims.version) || !Number.isInteger(claims.expiresAt))
    return null;
  if (claims.expiresAt !== 0 && claims.expiresAt * 1000 < now.getTime()) return null;
  return claims;
}
