import type { Config } from './config.ts';
import type { PrismaClient } from './db.ts';
import type { Logger } from './log.ts';
import type { Mailer } from './mail/mailer.ts';

/** What services need from the process: built once at the entry point and passed down. */
export interface Deps {
  db: PrismaClient;
  mailer: Mailer;
  log: Logger;
  config: Pick<Config, 'secretKey' | 'publicUrl' | 'mailFrom'> &
    Partial<Pick<Config, 'ranking' | 'delivery'>>;
  /** The current time; a parameter so tests can pin it. */
  now: () => Date;
}
