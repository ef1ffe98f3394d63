import { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { createReadinessCheck, type ReadinessOptions } from '../../health.ts';
import { createScraper } from '../../metrics.ts';

/**
 * What operators and orchestrators poll: liveness (the process answers), readiness (database,
 * migrations and SMTP, each named) and Prometheus metrics.
 */
export function healthRoutes(deps: Deps, options: ReadinessOptions = {}): Router {
  const router = Router();
  const readiness = createReadinessCheck(deps, options);
  const scraper = createScraper(deps);

  // Liveness touches nothing outside the process: a slow database must not get it restarted.
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const report = await readiness();
    res
      .status(report.status === 'ok' ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json(report);
  });

  router.get('/metrics', async (_req, res) => {
    const body = await scraper.metrics();
    res.set('Cache-Control', 'no-store').type(scraper.contentType).send(body);
  });

  return router;
}
