import { isoDate } from '../dates.ts';
import type { Deps } from '../deps.ts';
import { deliveryPapers } from '../digest/digest.queries.ts';
import { hashEmail } from '../log.ts';
import {
  bumpTokenVersion,
  claimLinkEmail,
  eraseSubscriber,
  findSubscriberExport,
} from './account.queries.ts';
import { confirmationEmail, LINK_EMAIL_INTERVAL_MS, manageLinkEmail, sendLinkEmail } from './link-email.ts';
import type { LinkRequestInput } from './subscribe.schema.ts';
import {
  findSubscriberByEmail,
  isSuppressed,
  type RequestContext,
  recordConsent,
  transitionStatus,
} from './subscribers.queries.ts';
import { subscriberForToken } from './subscribers.service.ts';

const MAILABLE = new Set(['pending', 'active', 'paused', 'unsubscribed']);

/**
 * "Email me a link": a known, mailable address gets a link to its preferences (a pending one its
 * confirmation link again); anyone else gets nothing. The caller cannot tell which happened, and
 * an address gets at most one such email per 10 minutes. It does not rotate links: a stranger who
 * types someone's address must not be able to break the unsubscribe links in their old emails.
 */
export async function requestManageLink(deps: Deps, input: LinkRequestInput): Promise<void> {
  const subscriber = await findSubscriberByEmail(deps.db, input.email);
  if (!subscriber || !MAILABLE.has(subscriber.status) || (await isSuppressed(deps.db, input.email))) return;
  if (!(await claimLinkEmail(deps.db, subscriber.id, deps.now(), LINK_EMAIL_INTERVAL_MS))) return;
  const values =
    subscriber.status === 'pending'
      ? confirmationEmail(deps, subscriber)
      : manageLinkEmail(deps, subscriber, 'asked');
  sendLinkEmail(deps, subscriber.email, values);
}

/**
 * "Email me a new link" from the manage page: revokes every link sent so far (token version + 1)
 * and emails a fresh manage link, at most once per 10 minutes.
 */
export async function rotateLinks(deps: Deps, token: unknown): Promise<void> {
  const { subscriber } = await subscriberForToken(deps, 'manage', token);
  if (!(await claimLinkEmail(deps.db, subscriber.id, deps.now(), LINK_EMAIL_INTERVAL_MS))) return;
  const tokenVersion = await bumpTokenVersion(deps.db, subscriber.id);
  deps.log.info({ event: 'subscribers.links_rotated', who: hashEmail(subscriber.email) });
  sendLinkEmail(deps, subscriber.email, manageLinkEmail(deps, { ...subscriber, tokenVersion }, 'asked'));
}

/** Everything Paperboy stores about the reader behind a manage link, as plain JSON-ready data. */
export async function exportData(deps: Deps, token: unknown) {
  const { subscriber } = await subscriberForToken(deps, 'manage', token);
  const row = await findSubscriberExport(deps.db, subscriber.id);
  if (!row) return null;
  const { topics, interests, ...rest } = row;
  const of = (kind: string) => interests.filter((i) => i.kind === kind).map((i) => i.value);
  return {
    exportedAt: deps.now().toISOString(),
    ...rest,
    topics: topics.map((t) => t.topicSlug),
    interests: of('text'),
    authors: of('author'),
    excludes: of('exclude'),
    deliveries: row.deliveries.map(({ paperIds, paperWhys, ...delivery }) => ({
      ...delivery,
      digestDate: isoDate(delivery.digestDate),
      papers: deliveryPapers({ paperIds, paperWhys }),
    })),
  };
}

/**
 * "Delete my data": erases the reader and everything about them, keeping only the address's
 * SHA-256 on the suppression list so it is never mailed again. Every link dies with the row.
 */
export async function eraseData(deps: Deps, token: unknown): Promise<void> {
  const { subscriber } = await subscriberForToken(deps, 'manage', token);
  await deps.db.$transaction((tx) => eraseSubscriber(tx, subscriber.id, subscriber.email));
  deps.log.info({ event: 'subscribers.erased', who: hashEmail(subscriber.email) });
}

/** Undoes an unsubscribe from the unsubscribe link's page; returns the reader for their manage link. */
export async function resubscribe(deps: Deps, token: unknown, context: RequestContext) {
  const { subscriber } = await subscriberForToken(deps, 'unsubscribe', token);
  const status = subscriber.confirmedAt ? 'active' : 'pending';
  if (await transitionStatus(deps.db, subscriber.id, ['unsubscribed'], { status, unsubscribedAt: null }))
    await recordConsent(deps.db, subscriber.id, 'resubscribe', context);
  return subscriber;
}

/** "Pause instead": keeps the reader's preferences but sends nothing until they resume. */
export async function pauseInstead(deps: Deps, token: unknown, context: RequestContext) {
  const { subscriber } = await subscriberForToken(deps, 'unsubscribe', token);
  if (
    await transitionStatus(deps.db, subscriber.id, ['unsubscribed', 'active'], {
      status: 'paused',
      unsubscribedAt: null,
    })
  )
    await recordConsent(deps.db, subscriber.id, 'pause', context);
  return subscriber;
}
