import type { Deps } from '../deps.ts';
import { badRequest, notFound } from '../errors.ts';
import { hashEmail } from '../log.ts';
import { findUnknownTopics } from '../topics/topics.queries.ts';
import { claimLinkEmail, findPreferenceRows } from './account.queries.ts';
import { confirmationEmail, LINK_EMAIL_INTERVAL_MS, manageLinkEmail, sendLinkEmail } from './link-email.ts';
import type { PreferencesInput, SubscribeInput } from './subscribe.schema.ts';
import {
  findSubscriberByEmail,
  findSubscriberById,
  isSuppressed,
  type RequestContext,
  recordConsent,
  replacePreferences,
  transitionStatus,
} from './subscribers.queries.ts';
import { type TokenPurpose, verifyToken } from './tokens.ts';

/**
 * Starts a subscription with double opt-in. The outcome is deliberately invisible to the caller
 * (no enumeration): a new or pending address gets a confirmation email, an active one a link to
 * its preferences, a suppressed one nothing; at most one email per address per 10 minutes.
 */
export async function subscribe(deps: Deps, input: SubscribeInput, context: RequestContext): Promise<void> {
  const unknown = await findUnknownTopics(deps.db, input.topics);
  if (unknown.length > 0) throw badRequest(`unknown topics: ${unknown.join(', ')}`, { field: 'topics' });
  if (await isSuppressed(deps.db, input.email)) {
    deps.log.info({ event: 'subscribers.suppressed_subscribe', who: hashEmail(input.email) });
    return;
  }
  const now = deps.now();
  const prefs = { ...input, excludes: [] };
  const subscriber = await deps.db.$transaction(async (tx) => {
    const existing = await findSubscriberByEmail(tx, input.email);
    if (existing?.status === 'bounced' || existing?.status === 'complained') return null;
    // An active reader's preferences change only through their own signed link, never by a stranger's post.
    if (existing?.status === 'active' || existing?.status === 'paused') return existing;
    const row =
      existing ??
      (await tx.subscriber.create({
        data: { email: input.email, timezone: input.timezone, deliveryHour: input.deliveryHour },
      }));
    if (existing)
      await tx.subscriber.update({
        where: { id: row.id },
        data: { status: 'pending', unsubscribedAt: null },
      });
    await replacePreferences(tx, row.id, prefs);
    await recordConsent(tx, row.id, 'subscribe', context, { topics: input.topics });
    return { ...row, status: 'pending' as const };
  });
  if (!subscriber) return;
  if (!(await claimLinkEmail(deps.db, subscriber.id, now, LINK_EMAIL_INTERVAL_MS))) return;
  sendLinkEmail(
    deps,
    subscriber.email,
    subscriber.status === 'pending'
      ? confirmationEmail(deps, subscriber)
      : manageLinkEmail(deps, subscriber, 'again'),
  );
}

/** Resolves a link token to its subscriber; tampered, expired, revoked and unknown are one 404. */
export async function subscriberForToken(deps: Deps, purpose: TokenPurpose, token: unknown) {
  const claims =
    typeof token === 'string' ? verifyToken(deps.config.secretKey, purpose, token, deps.now()) : null;
  const subscriber = claims ? await findSubscriberById(deps.db, claims.subscriberId).catch(() => null) : null;
  if (!claims || !subscriber || subscriber.tokenVersion !== claims.version) throw notFound('link');
  return { subscriber, claims };
}

/** Activates a pending subscription. Confirming twice is harmless. */
export async function confirm(deps: Deps, token: unknown, context: RequestContext): Promise<void> {
  const { subscriber } = await subscriberForToken(deps, 'confirm', token);
  const changed = await transitionStatus(deps.db, subscriber.id, ['pending'], {
    status: 'active',
    confirmedAt: deps.now(),
  });
  if (changed) {
    await recordConsent(deps.db, subscriber.id, 'confirm', context);
    deps.log.info({ event: 'subscribers.confirmed', who: hashEmail(subscriber.email) });
  }
}

/**
 * Unsubscribes at once, including from digests already planned but not yet sent. Unsubscribing
 * twice is harmless.
 */
export async function unsubscribe(deps: Deps, token: unknown, context: RequestContext): Promise<void> {
  const { subscriber } = await subscriberForToken(deps, 'unsubscribe', token);
  const now = deps.now();
  const changed = await deps.db.$transaction(async (tx) => {
    const moved = await transitionStatus(tx, subscriber.id, ['pending', 'active', 'paused'], {
      status: 'unsubscribed',
      unsubscribedAt: now,
    });
    if (!moved) return false;
    await tx.delivery.updateMany({
      where: { subscriberId: subscriber.id, status: 'planned' },
      data: { status: 'skipped', lastError: 'unsubscribed before sending' },
    });
    await recordConsent(tx, subscriber.id, 'unsubscribe', context);
    return true;
  });
  if (changed) deps.log.info({ event: 'subscribers.unsubscribed', who: hashEmail(subscriber.email) });
}

/** A reader's current preferences, for the manage page. */
export async function preferencesFor(deps: Deps, token: unknown) {
  const { subscriber } = await subscriberForToken(deps, 'manage', token);
  const { topics, interests } = await findPreferenceRows(deps.db, subscriber.id);
  const of = (kind: string) => interests.filter((i) => i.kind === kind).map((i) => i.value);
  return {
    email: subscriber.email,
    status: subscriber.status,
    topics,
    interests: of('text'),
    authors: of('author'),
    excludes: of('exclude'),
    timezone: subscriber.timezone,
    deliveryHour: subscriber.deliveryHour,
    frequency: subscriber.frequency,
    deliveryWeekday: subscriber.deliveryWeekday,
    maxPapers: subscriber.maxPapers,
    subscriber,
  };
}

/**
 * Replaces a reader's preferences through their manage link; `paused` pauses an active reader
 * or resumes a paused one (other states are left as they are).
 */
export async function updatePreferences(
  deps: Deps,
  token: unknown,
  input: PreferencesInput,
  context: RequestContext,
): Promise<void> {
  const { subscriber } = await subscriberForToken(deps, 'manage', token);
  const unknown = await findUnknownTopics(deps.db, input.topics);
  if (unknown.length > 0) throw badRequest(`unknown topics: ${unknown.join(', ')}`, { field: 'topics' });
  const { paused, ...prefs } = input;
  await deps.db.$transaction(async (tx) => {
    await replacePreferences(tx, subscriber.id, prefs);
    await recordConsent(tx, subscriber.id, 'preferences', context, { topics: input.topics });
    const [from, to] = paused ? (['active', 'paused'] as const) : (['paused', 'active'] as const);
    if (await transitionStatus(tx, subscriber.id, [from], { status: to }))
      await recordConsent(tx, subscriber.id, paused ? 'pause' : 'resume', context);
  });
}
