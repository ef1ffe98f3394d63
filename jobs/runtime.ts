import path from 'node:path';
import type { Config } from '../src/config.ts';
import { type Database, openDatabase } from '../src/db.ts';
import type { Deps } from '../src/deps.ts';
import type { Logger } from '../src/log.ts';
import { type CaptureServer, startCaptureServer } from '../src/mail/capture-server.ts';
import { createMailer, type Mailer } from '../src/mail/mailer.ts';
import { type MigrationResult, migrate } from '../src/migrate.ts';
import { syncTopics } from '../src/topics/topics.queries.ts';

/** Everything one process holds open, built once from the config (the composition root). */
export interface Runtime {
  config: Config;
  deps: Deps;
  database: Database;
  capture: CaptureServer | undefined;
  migrations: MigrationResult;
  close(): Promise<void>;
}

/**
 * Opens the database (embedded when DATABASE_URL is unset) and brings it up to date, starts the
 * capture SMTP server when SMTP_URL is unset, and builds the mailer (none with `mail: false`).
 */
export async function openRuntime(
  config: Config,
  log: Logger,
  options: { mail?: boolean } = {},
): Promise<Runtime> {
  const database = await openDatabase(config.databaseUrl, config.dataDir);
  try {
    const migrations = await migrate(database);
    await syncTopics(database.prisma);
    const wantsMail = options.mail !== false;
    const capture = config.smtpUrl || !wantsMail ? undefined : await startCapture(config, log);
    const smtpUrl = config.smtpUrl ?? capture?.url;
    const mailer = smtpUrl
      ? createMailer(smtpUrl, config.mailFrom, {
          maxConnections: config.delivery.maxConnections,
          ratePerSecond: config.delivery.ratePerSecond,
          dkim: config.delivery.dkim,
        })
      : noMailer;
    const deps: Deps = { db: database.prisma, mailer, log, config, now: () => new Date() };
    return {
      config,
      deps,
      database,
      capture,
      migrations,
      async close() {
        mailer.close();
        await capture?.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** For commands that send no mail: using it is a bug, said plainly. */
const noMailer: Mailer = {
  send: () => Promise.reject(new Error('this command does not send mail')),
  verify: () => Promise.reject(new Error('this command does not send mail')),
  close: () => {},
};

async function startCapture(config: Config, log: Logger): Promise<CaptureServer> {
  const dir = path.join(config.dataDir, 'outbox');
  try {
    return await startCaptureServer(dir, config.capturePort);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    // Another Paperboy on this machine has the port; any free one does, the files land in the same place.
    const capture = await startCaptureServer(dir, 0);
    log.warn({ event: 'mail.capture_port_taken', wanted: config.capturePort, port: capture.port });
    return capture;
  }
}
