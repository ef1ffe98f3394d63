import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Deps } from './deps.ts';
import { withTimeout } from './health.ts';
import {
  countPlannedDeliveries,
  countRecentDeliveriesByStatus,
  countSubscribersByStatus,
} from './ops.queries.ts';

/** This process's own counters and histograms, incremented where the work happens. */
export interface Metrics {
  /** Holds everything below plus Node's default process metrics; one per process. */
  registry: Registry;
  /** paperboy_deliveries_total{status="sent|failed|bounced|skipped|suppressed|retry"}: one per delivery outcome. */
  deliveries: Counter<'status'>;
  /** paperboy_smtp_send_seconds: how long the relay took to accept one message. */
  sendSeconds: Histogram;
  /** paperboy_ingest_records_total{source, result="created|updated|unchanged|skipped"}. */
  ingestRecords: Counter<'source' | 'result'>;
  /** paperboy_ingest_runs_total{source, status="ok|failed"}. */
  ingestRuns: Counter<'source' | 'status'>;
  /** paperboy_http_request_duration_seconds{method, route, status}; `route` is the pattern, never the URL. */
  httpSeconds: Histogram<'method' | 'route' | 'status'>;
}

/** The outcomes the delivery worker counts; each starts at 0 so rate() works from the first scrape. */
const DELIVERY_OUTCOMES = ['sent', 'failed', 'bounced', 'skipped', 'suppressed', 'retry'] as const;
/** A scrape gives up on the database after this long and serves the process metrics without it. */
const DATABASE_SCRAPE_TIMEOUT_MS = 5000;

function createMetrics(): Metrics {
  // Not prom-client's global registry: a test process builds several apps and metric servers.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const metrics: Metrics = {
    registry,
    deliveries: new Counter({
      name: 'paperboy_deliveries_total',
      help: 'Delivery attempts by outcome (sent, failed, bounced, skipped, suppressed, retry), counted by this process.',
      labelNames: ['status'] as const,
      registers,
    }),
    sendSeconds: new Histogram({
      name: 'paperboy_smtp_send_seconds',
      help: 'Time the SMTP relay took to accept one message.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    ingestRecords: new Counter({
      name: 'paperboy_ingest_records_total',
      help: 'Records read from a paper source, by what storing them did (created, updated, unchanged, skipped).',
      labelNames: ['source', 'result'] as const,
      registers,
    }),
    ingestRuns: new Counter({
      name: 'paperboy_ingest_runs_total',
      help: 'Ingest runs of one source, by outcome (ok, failed).',
      labelNames: ['source', 'status'] as const,
      registers,
    }),
    httpSeconds: new Histogram({
      name: 'paperboy_http_request_duration_seconds',
      help: 'HTTP request durations by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
  for (const status of DELIVERY_OUTCOMES) metrics.deliveries.inc({ status }, 0);
  return metrics;
}

/** The process's metrics (module state: one registry per process, imported where work is counted). */
export const metrics: Metrics = createMetrics();

type ScrapeDeps = Pick<Deps, 'db' | 'log' | 'now'>;

/** What serves /metrics: the exposition text of one scrape, and its content type. */
export interface Scraper {
  contentType: string;
  metrics(): Promise<string>;
}

/**
 * The gauges read from the database at each scrape. They count what every process did, so any
 * one process's /metrics gives the whole picture. `refresh` says whether the reads succeeded.
 */
function databaseGauges(deps: ScrapeDeps): { registry: Registry; refresh(): Promise<boolean> } {
  const registry = new Registry();
  const registers = [registry];
  const subscribers = new Gauge({
    name: 'paperboy_subscribers',
    help: 'Subscribers by status.',
    labelNames: ['status'] as const,
    registers,
  });
  const queueDepth = new Gauge({
    name: 'paperboy_queue_depth',
    help: 'Deliveries planned and not yet sent.',
    registers,
  });
  const recent = new Gauge({
    // Not `paperboy_deliveries`: OpenMetrics would read that as the family of paperboy_deliveries_total.
    name: 'paperboy_deliveries_last_24h',
    help: 'Deliveries whose status changed in the last 24 hours, by status (all processes).',
    labelNames: ['status'] as const,
    registers,
  });
  const refresh = async () => {
    try {
      const [byStatus, planned, recentByStatus] = await withTimeout(
        Promise.all([
          countSubscribersByStatus(deps.db),
          countPlannedDeliveries(deps.db),
          countRecentDeliveriesByStatus(deps.db, deps.now()),
        ]),
        DATABASE_SCRAPE_TIMEOUT_MS,
        'database',
      );
      for (const [status, count] of Object.entries(byStatus)) subscribers.set({ status }, count);
      queueDepth.set(planned);
      for (const [status, count] of Object.entries(recentByStatus)) recent.set({ status }, count);
      return true;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      deps.log.warn({ event: 'metrics.database_failed', error: reason });
      return false;
    }
  };
  return { registry, refresh };
}

/**
 * What a /metrics endpoint serves: this process's metrics plus the database gauges. When the
 * database cannot be read, the scrape leaves those gauges out (a stale or zero value would
 * mislead) and says so in paperboy_metrics_database_up. Build one per server.
 */
export function createScraper(deps: ScrapeDeps): Scraper {
  const database = databaseGauges(deps);
  const own = new Registry();
  const up = new Gauge({
    name: 'paperboy_metrics_database_up',
    help: '1 when this scrape read the database gauges, 0 when it could not.',
    registers: [own],
  });
  return {
    contentType: metrics.registry.contentType,
    async metrics() {
      const ok = await database.refresh();
      up.set(ok ? 1 : 0);
      const registries = [metrics.registry, own, ...(ok ? [database.registry] : [])];
      return Registry.merge(registries).metrics();
    },
  };
}

/**
 * Serves GET /metrics (and /healthz, for a container probe that must not touch the database) on
 * its own port, for processes without the HTTP app (the worker). Anything else is a 404.
 */
export async function startMetricsServer(
  deps: ScrapeDeps,
  port: number,
  host = '0.0.0.0',
): Promise<{ port: number; close(): Promise<void> }> {
  const scraper = createScraper(deps);
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/healthz' && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    scraper.metrics().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': scraper.contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        deps.log.error({ event: 'metrics.scrape_failed', err: error });
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps its connection open between scrapes; do not wait for it.
        server.closeAllConnections();
      }),
  };
}
