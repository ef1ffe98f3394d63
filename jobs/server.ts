import type { Server } from 'node:http';
import { createApp } from '../src/http/app.ts';
import type { Runtime } from './runtime.ts';

/** Serves HTTP on the configured host and port; /outbox only with the capture server outside production. */
export async function startServer(runtime: Runtime): Promise<Server> {
  const { config, deps } = runtime;
  const outboxDir = config.env !== 'production' ? runtime.capture?.dir : undefined;
  const app = createApp(deps, { outboxDir, trustProxy: config.trustProxy });
  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  deps.log.info({ event: 'http.listening', url: config.publicUrl, port: config.port });
  return server;
}
