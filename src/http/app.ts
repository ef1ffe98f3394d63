import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Deps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { metrics } from '../metrics.ts';
import { createCsrf } from './csrf.ts';
import type { PageKit } from './kit.ts';
import { DEFAULT_SEND_LIMIT, type RateLimitOptions, sendLimiter } from './limits.ts';
import { accessLog, errorHandler, requestId } from './middleware.ts';
import { openApiRoutes } from './openapi.ts';
import { createPageRenderer, script, stylesheet } from './pages.ts';
import { feedRoutes } from './routes/feeds.ts';
import { healthRoutes } from './routes/health.ts';
import { linkRoutes } from './routes/links.ts';
import { manageRoutes } from './routes/manage.ts';
import { outboxRoutes } from './routes/outbox.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';

/** Options that change what the app exposes. */
export interface AppOptions {
  /** The capture server's directory; /outbox is mounted only when set (never in production). */
  outboxDir?: string | undefined;
  trustProxy?: boolean;
  /** Per-IP limit on requests that send email; tests lower it. */
  sendLimit?: RateLimitOptions;
  /** The migrations /readyz expects applied (default: the committed ones); tests add one. */
  migrationsDir?: string;
}

const BODY_LIMIT = '32kb';

/** A strict policy: nothing inline, nothing from elsewhere; the one script is /assets/app.js. */
function contentSecurityPolicy(https: boolean) {
  return {
    useDefaults: false,
    directives: {
      'default-src': ["'none'"],
      'script-src': ["'self'"],
      'style-src': ["'self'"],
      'img-src': ["'self'", 'data:'],
      'connect-src': ["'self'"],
      'form-action': ["'self'"],
      'frame-ancestors': ["'none'"],
      'base-uri': ["'none'"],
      ...(https ? { 'upgrade-insecure-requests': [] } : {}),
    },
  };
}

/** Builds the express app around `deps`; it listens nowhere until the caller says so. */
export function createApp(deps: Deps, options: AppOptions = {}): Express {
  const app = express();
  const https = deps.config.publicUrl.startsWith('https:');
  const kit: PageKit = {
    pages: createPageRenderer(),
    csrf: createCsrf(deps.config.secretKey, https),
    sendLimit: sendLimiter(options.sendLimit ?? DEFAULT_SEND_LIMIT),
  };
  const assets = { css: stylesheet(), js: script() };
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy === true ? 1 : false);
  app.use(requestId(deps.log));
  app.use(accessLog(metrics.httpSeconds));
  app.use(
    helmet({
      contentSecurityPolicy: contentSecurityPolicy(https),
      // The one-click unsubscribe POST comes from mail providers' servers, never from a page.
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
  );
  app.use(express.json({ limit: BODY_LIMIT }));
  app.use(express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 200 }));

  app.get('/assets/app.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=3600').send(assets.css);
  });
  app.get('/assets/app.js', (_req, res) => {
    res.type('js').set('Cache-Control', 'public, max-age=3600').send(assets.js);
  });
  app.use(healthRoutes(deps, { migrationsDir: options.migrationsDir }));
  app.use(openApiRoutes());
  app.use(subscriptionRoutes(deps, kit));
  app.use(linkRoutes(deps, kit));
  app.use(manageRoutes(deps, kit));
  app.use(feedRoutes(deps));
  if (options.outboxDir) app.use(outboxRoutes(options.outboxDir, kit.pages));
  app.use(() => {
    throw notFound();
  });
  app.use(errorHandler(kit.pages));
  return app;
}
