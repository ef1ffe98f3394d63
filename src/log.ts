import { createHash } from 'node:crypto';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Creates the process's root logger: JSON lines to `fd` (1 for services, 2 for one-shot commands
 * whose stdout is their output), pretty-printed when a person is watching. A `destination`
 * stream (tests read the lines back) replaces `fd` and is always JSON.
 */
export function createLogger(level: string, fd: 1 | 2 = 1, destination?: DestinationStream): Logger {
  const pretty = !destination && (fd === 1 ? process.stdout : process.stderr).isTTY === true;
  const options = {
    level,
    base: undefined,
    redact: { paths: ['email', '*.email', 'token', '*.token'], censor: '[redacted]' },
    hooks: { streamWrite: scrubAddresses },
  };
  if (pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        options: { destination: fd, colorize: true, ignore: 'pid,hostname' },
      },
    });
  }
  return pino(options, destination ?? pino.destination({ fd, sync: fd === 2 }));
}

/** Anything shaped like an address; SMTP replies and driver errors echo them in their messages. */
const ADDRESS = /[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

/**
 * The last guard on every line written: an address that reaches a log anyway (inside an error
 * message, say) becomes `email:` plus its `hashEmail` pseudonym, the same one `who` fields carry.
 */
function scrubAddresses(line: string): string {
  return line.includes('@') ? line.replace(ADDRESS, (address) => `email:${hashEmail(address)}`) : line;
}

/** A short stable pseudonym for an email address, for logs that must never hold the address. */
export function hashEmail(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 16);
}
