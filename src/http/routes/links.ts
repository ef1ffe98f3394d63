import { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { archivedDigestHtml } from '../../digest/archive.ts';
import { pauseInstead, resubscribe } from '../../subscribers/account.service.ts';
import { readerLinks } from '../../subscribers/links.ts';
import { confirm, subscriberForToken, unsubscribe } from '../../subscribers/subscribers.service.ts';
import { tokenOf } from '../forms.ts';
import type { PageKit } from '../kit.ts';
import { requestContext } from '../middleware.ts';

/** The archived digest is the email's own HTML (inline styles, no scripts): it gets its own policy. */
const DIGEST_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

/**
 * The pages behind links in emails. A GET only shows a page with a button (mail scanners follow
 * every link); the button's POST makes the change. These forms need no separate CSRF token: each
 * carries its link's signed, purpose-scoped token, a secret no other site can know or forge.
 */
export function linkRoutes(deps: Deps, { pages }: PageKit): Router {
  const router = Router();
  const manageUrlOf = (who: { id: string; tokenVersion: number }) => readerLinks(deps.config, who).manageUrl;

  router.get('/confirm', async (req, res) => {
    const { subscriber } = await subscriberForToken(deps, 'confirm', req.query.token);
    const active = subscriber.status === 'active';
    res.send(pages.render('confirm', { title: 'Confirm your subscription', token: req.query.token, active }));
  });

  router.post('/confirm', async (req, res) => {
    const token = tokenOf(req);
    await confirm(deps, token, requestContext(req));
    const { subscriber } = await subscriberForToken(deps, 'confirm', token);
    res.send(pages.render('welcome', { title: 'You are subscribed', manageUrl: manageUrlOf(subscriber) }));
  });

  router.get('/unsubscribe', async (req, res) => {
    const { subscriber } = await subscriberForToken(deps, 'unsubscribe', req.query.token);
    const done = subscriber.status === 'unsubscribed';
    res.send(
      pages.render('unsubscribe', {
        title: done ? 'You are unsubscribed' : 'Unsubscribe',
        token: req.query.token,
        done,
      }),
    );
  });

  // Also the RFC 8058 one-click endpoint: mail clients POST "List-Unsubscribe=One-Click" here with
  // no cookies, so it needs nothing but the signed token and answers 200 without a redirect.
  router.post('/unsubscribe', async (req, res) => {
    const token = tokenOf(req);
    await unsubscribe(deps, token, requestContext(req));
    res.send(pages.render('unsubscribe', { title: 'You are unsubscribed', token, done: true }));
  });

  router.post('/unsubscribe/resubscribe', async (req, res) => {
    const subscriber = await resubscribe(deps, tokenOf(req), requestContext(req));
    res.send(
      pages.render('resubscribed', {
        title: 'Welcome back',
        manageUrl: manageUrlOf(subscriber),
        pending: subscriber.confirmedAt === null,
      }),
    );
  });

  router.post('/unsubscribe/pause', async (req, res) => {
    const subscriber = await pauseInstead(deps, tokenOf(req), requestContext(req));
    res.send(pages.render('paused', { title: 'Paused', manageUrl: manageUrlOf(subscriber) }));
  });

  router.get('/digest/:id', async (req, res) => {
    const html = await archivedDigestHtml(deps, req.params.id, req.query.token);
    res.set('Content-Security-Policy', DIGEST_CSP).type('html').send(html);
  });

  return router;
}
