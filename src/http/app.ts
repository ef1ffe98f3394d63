import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { errorHandler, requestId } from './middleware.ts';
import { createPageRenderer, stylesheet } from './pages.ts';
import { linkRoutes } from './routes/links.ts';
import { manageRoutes } from './routes/manage.ts';
import { outboxRoutes } from './routes/outbox.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';

/** Options that change what the app exposes. */
export interface AppOptions {
  /** The capture server's directory; /outbox is mounted only when set (never in production). */
  outboxDir?: string | undefined;
  trustProxy?: boolean;
}

const BODY_LIMIT = '32kb';

/** Builds the express app around `deps`; it listens nowhere until the caller says so. */
export function createApp(deps: Deps, options: AppOptions = {}): Express {
  const app = express();
  const pages = createPageRenderer();
  const css = stylesheet();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy === true ? 1 : false);
  app.use(requestId(deps.log));
  app.use(
    helmet({
      contentSecurityPolicy: { directives: { 'form-action': ["'self'"], 'script-src': ["'self'"] } },
      // The one-click unsubscribe POST comes from mail providers' servers, never from a page.
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );
  app.use(express.json({ limit: BODY_LIMIT }));
  app.use(express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 200 }));

  app.get('/assets/app.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=3600').send(css);
  });
  app.use(subscriptionRoutes(deps, pages));
  app.use(linkRoutes(deps, pages));
  app.use(manageRoutes(deps, pages));
  if (options.outboxDir) app.use(outboxRoutes(options.outboxDir, pages));
  app.use(() => {
    throw notFound();
  });
  app.use(errorHandler(pages));
  return app;
}
