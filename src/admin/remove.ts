import type { Deps } from '../deps.ts';
import { hashEmail } from '../log.ts';
import { eraseSubscriber } from '../subscribers/account.queries.ts';
import { findSubscriberByEmail, isSuppressed } from '../subscribers/subscribers.queries.ts';

/** What `removeSubscriber` did. */
export type RemoveOutcome =
  | { removed: true }
  /** No such subscriber; `suppressed` says whether the address is on the suppression list anyway. */
  | { removed: false; suppressed: boolean };

/**
 * Erases a reader the way "Delete my data" does: their row, preferences, deliveries and consent
 * records go, and only the address's SHA-256 stays on the suppression list, so it is never mailed
 * (or imported) again. `email` must already be validated and lowercased.
 */
export async function removeSubscriber(deps: Deps, email: string): Promise<RemoveOutcome> {
  const subscriber = await findSubscriberByEmail(deps.db, email);
  if (!subscriber) return { removed: false, suppressed: await isSuppressed(deps.db, email) };
  await deps.db.$transaction((tx) => eraseSubscriber(tx, subscriber.id, subscriber.email));
  deps.log.info({ event: 'subscribers.erased', who: hashEmail(subscriber.email), by: 'admin' });
  return { removed: true };
}
