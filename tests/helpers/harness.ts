import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inject } from 'vitest';
import type { Database } from '../../src/db.ts';
import type { Deps } from '../../src/deps.ts';
import { createApp } from '../../src/http/app.ts';
import { createLogger } from '../../src/log.ts';
import { createMailer } from '../../src/mail/mailer.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { SmtpSink } from './smtp-sink.ts';

export const TEST_SECRET = 'test-secret-key-that-is-long-enough-0123456789';

/** Everything an integration test talks to: its own database, a real SMTP sink, and the real app on a port. */
export interface Harness {
  db: Database['prisma'];
  database: Database;
  testDatabase: TestDatabase;
  sink: SmtpSink;
  deps: Deps;
  baseUrl: string;
  /** Moves the harness clock; services read `deps.now()`. */
  setNow(date: Date): void;
  close(): Promise<void>;
}

/** Starts a harness; call `close()` in afterAll. */
export async function startHarness(options: { http?: boolean } = {}): Promise<Harness> {
  const testDatabase = await createTestDatabase(inject('database'));
  const sink = await SmtpSink.start();
  let now: Date | undefined;
  const config = {
    secretKey: TEST_SECRET,
    publicUrl: 'http://127.0.0.1:0',
    mailFrom: 'Paperboy <paperboy@test.example>',
  };
  const mailer = createMailer(sink.url, config.mailFrom);
  const deps: Deps = {
    db: testDatabase.database.prisma,
    mailer,
    log: createLogger('silent', 2),
    config,
    now: () => now ?? new Date(),
  };
  let server: Server | undefined;
  if (options.http !== false) {
    server = createApp(deps).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server?.once('listening', resolve));
    config.publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  return {
    db: testDatabase.database.prisma,
    database: testDatabase.database,
    testDatabase,
    sink,
    deps,
    baseUrl: config.publicUrl,
    setNow(date) {
      now = date;
    },
    async close() {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      mailer.close();
      await sink.close();
      await testDatabase.drop();
    },
  };
}
