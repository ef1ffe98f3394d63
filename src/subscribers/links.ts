import { createToken, type TokenPurpose } from './tokens.ts';

const CONFIRM_LINK_DAYS = 7;

interface LinkSubject {
  id: string;
  tokenVersion: number;
}

interface LinkConfig {
  secretKey: string;
  publicUrl: string;
}

function link(
  config: LinkConfig,
  path: string,
  purpose: TokenPurpose,
  who: LinkSubject,
  expiresAt = 0,
  ref?: string,
) {
  const token = createToken(config.secretKey, {
    purpose,
    subscriberId: who.id,
    version: who.tokenVersion,
    expiresAt,
    ...(ref ? { ref } : {}),
  });
  return `${config.publicUrl}${path}?token=${token}`;
}

/** The confirmation link of a double opt-in email; it expires after a week. */
export function confirmUrl(config: LinkConfig, who: LinkSubject, now: Date): string {
  const expiresAt = Math.floor(now.getTime() / 1000) + CONFIRM_LINK_DAYS * 86_400;
  return link(config, '/confirm', 'confirm', who, expiresAt);
}

/** The links every email carries: they last until the reader's token version changes. */
export function readerLinks(config: LinkConfig, who: LinkSubject) {
  return {
    manageUrl: link(config, '/manage', 'manage', who),
    unsubscribeUrl: link(config, '/unsubscribe', 'unsubscribe', who),
  };
}

/** The "view in browser" link of one delivery. */
export function digestUrl(config: LinkConfig, who: LinkSubject, deliveryId: string): string {
  return link(config, `/digest/${deliveryId}`, 'digest', who, 0, deliveryId);
}

/** The reader's private Atom feed, which mirrors their digests; it lasts until the token version changes. */
export function feedUrl(config: LinkConfig, who: LinkSubject): string {
  return link(config, '/feed.xml', 'feed', who);
}
