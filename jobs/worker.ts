import { createSender, type Sender } from '../src/digest/send.ts';
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
export function startWorker(runtime: Runtime): Worker {
  const { deps, config } = runtime;
  const sender = createSender(deps, config.delivery);
  const running = sender.run();
  deps.log.info({
    event: 'worker.started',
    workerId: sender.workerId,
    maxConnections: config.delivery.maxConnections,
    ratePerSecond: config.delivery.ratePerSecond,
    batchSize: config.delivery.batchSize,
  });
  return {
    sender,
    async stop() {
      await sender.stop();
      await running;
      deps.log.info({ event: 'worker.stopped', workerId: sender.workerId });
    },
  };
}
