import type { PrismaClient } from '../db.ts';
import { type AcceptedMessage, recordTransitions } from './queue.queries.ts';

/**
 * One connection's (lane's) state change before its next message: record the message the relay
 * accepted last (if any) and move the next row (if any) to `sending`. Resolves to the next row's
 * attempts, or null when it must not be sent.
 */
export type Transition = (
  sent: AcceptedMessage | undefined,
  nextId: string | undefined,
) => Promise<number | null>;

interface Request {
  sent: AcceptedMessage | undefined;
  nextId: string | undefined;
  resolve(attempts: number | null): void;
  reject(error: unknown): void;
}

/**
 * Sends the lanes' transitions to the database together: a request goes at once when no statement
 * is under way, else with every other request that arrived meanwhile, in the next statement. Each
 * lane still waits for its own answer before SMTP, so every lane keeps at most one row in doubt,
 * and the re-check stays the last step before SMTP. With 5 lanes that is ~0.5 statements per
 * message instead of 1: fewer round trips, commits and query set-ups. Waiting for the statement
 * under way costs little: concurrent commits would wait for the same WAL flush anyway (with two
 * statements allowed under way, nearly every request went alone).
 */
export function createTransitions(db: PrismaClient, workerId: string, now: () => Date): Transition {
  let queued: Request[] = [];
  let flushing = false;

  async function flush(): Promise<void> {
    flushing = true;
    while (queued.length > 0) {
      const requests = queued;
      queued = [];
      const sent = requests.flatMap((request) => (request.sent ? [request.sent] : []));
      const ids = requests.flatMap((request) => (request.nextId ? [request.nextId] : []));
      try {
        const attempts = await recordTransitions(db, sent, { ids, workerId, now: now() });
        for (const request of requests)
          request.resolve(request.nextId ? (attempts.get(request.nextId) ?? null) : null);
      } catch (error) {
        for (const request of requests) request.reject(error);
      }
    }
    flushing = false;
  }

  return (sent, nextId) =>
    new Promise((resolve, reject) => {
      queued.push({ sent, nextId, resolve, reject });
      if (!flushing) void flush();
    });
}
