import type { RequestHandler } from 'express';
import type { Csrf } from './csrf.ts';
import type { PageRenderer } from './pages.ts';

/** What page routes share: the renderer, CSRF helpers, and the limiter for requests that send email. */
export interface PageKit {
  pages: PageRenderer;
  csrf: Csrf;
  /** Per-IP limit on requests that may send an email (subscribe, "email me a link"). */
  sendLimit: RequestHandler;
}
