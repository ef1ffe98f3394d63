import { createSender, type Sender } from '../src/digest/send.ts';
import { metrics, startMetricsServer } from '../src/metrics.ts';
import type { Runtime } from './runtime.ts';

/** A running worker; `stop()` finishes in-flight messages and gives back what it had not tried. */
export interface Worker {
  sender: Sender;
  stop(): Promise<void>;
}

/**
 * Starts consuming the send queue (planned deliveries) with this process's pooled SMTP transport.
 * Run as many as you like, on as many machines: claims never overlap.
 */
export async function startWorker(
  runtime: Runtime,
  options: { metricsPort?: number | undefined } = {},
): Promise<Worker> {
  const { deps, config } = runtime;
  const sender = createSender(deps, config.delivery, {
    onOutcome(outcome, seconds) {
      metrics.deliveries.inc({ status: outcome === 'deferred' ? 'retry' : outcome });
      if (seconds !== null) metrics.sendSeconds.observe(seconds);
    },
  });
  // A worker has no HTTP app: it serves its own /metrics when asked to.
  const metricsServer =
    options.metricsPort === undefined ? undefined : await startMetricsServer(deps, options.metricsPort);
  const running = sender.run();
  deps.log.info({
    event: 'worker.started',
    workerId: sender.workerId,
    maxConnections: config.delivery.maxConnections,
    ratePerSecond: config.delivery.ratePerSecond,
    batchSize: config.delivery.batchSize,
    metricsPort: metricsServer?.port,
  });
  return {
    sender,
    async stop() {
      await sender.stop();
      await running;
      await metricsServer?.close();
      deps.log.info({ event: 'worker.stopped', workerId: sender.workerId });
    },
  };
}
