import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { subscriberForToken } from '../subscribers/subscribers.service.ts';
import { loadDeliveryForSending } from './digest.queries.ts';
import { compileDigestTemplate } from './render.ts';
import { digestValuesFor } from './run.ts';

let template: ReturnType<typeof compileDigestTemplate> | undefined;

/**
 * The HTML of a sent digest, as the email showed it ("view in browser"). The link's token names
 * the delivery; any other delivery, or one not sent, is the same 404.
 */
export async function archivedDigestHtml(deps: Deps, deliveryId: string, token: unknown): Promise<string> {
  const { subscriber, claims } = await subscriberForToken(deps, 'digest', token);
  if (claims.ref !== deliveryId) throw notFound('digest');
  const delivery = await loadDeliveryForSending(deps.db, deliveryId).catch(() => null);
  if (!delivery || delivery.subscriber.id !== subscriber.id || delivery.sentAt === null)
    throw notFound('digest');
  template ??= compileDigestTemplate();
  return (await template).html(await digestValuesFor(deps, delivery));
}
