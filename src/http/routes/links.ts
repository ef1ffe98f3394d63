import { type Request, Router } from 'express';
import type { Deps } from '../../deps.ts';
import { archivedDigestHtml } from '../../digest/archive.ts';
import { readerLinks } from '../../subscribers/links.ts';
import { confirm, subscriberForToken, unsubscribe } from '../../subscribers/subscribers.service.ts';
import { requestContext } from '../middleware.ts';
import type { PageRenderer } from '../pages.ts';

/** A link's token arrives in the query string (the link itself) or in the form its page posts. */
function tokenOf(req: Request): unknown {
  const body = req.body as Record<string, unknown> | undefined;
  return req.query.token ?? body?.token;
}

/**
 * The pages behind links in emails. A GET only shows a page with a button (mail scanners follow
 * every link); the button's POST makes the change.
 */
export function linkRoutes(deps: Deps, pages: PageRenderer): Router {
  const router = Router();

  router.get('/confirm', async (req, res) => {
    const { subscriber } = await subscriberForToken(deps, 'confirm', req.query.token);
    const active = subscriber.status === 'active';
    res.send(pages.render('confirm', { title: 'Confirm your subscription', token: req.query.token, active }));
  });

  router.post('/confirm', async (req, res) => {
    const token = tokenOf(req);
    await confirm(deps, token, requestContext(req));
    const { subscriber } = await subscriberForToken(deps, 'confirm', token);
    res.send(
      pages.render('welcome', {
        title: 'You are subscribed',
        manageUrl: readerLinks(deps.config, subscriber).manageUrl,
      }),
    );
  });

  router.get('/unsubscribe', async (req, res) => {
    const { subscriber } = await subscriberForToken(deps, 'unsubscribe', req.query.token);
    res.send(
      pages.render('unsubscribe', {
        title: 'Unsubscribe',
        token: req.query.token,
        done: subscriber.status === 'unsubscribed',
      }),
    );
  });

  // Also the RFC 8058 one-click endpoint: mail clients POST "List-Unsubscribe=One-Click" here with
  // no cookies, so it needs nothing but the signed token and answers 200 without a redirect.
  router.post('/unsubscribe', async (req, res) => {
    await unsubscribe(deps, tokenOf(req), requestContext(req));
    res.send(pages.render('unsubscribe', { title: 'You are unsubscribed', done: true }));
  });

  router.get('/digest/:id', async (req, res) => {
    res.type('html').send(await archivedDigestHtml(deps, req.params.id, req.query.token));
  });

  return router;
}
