/**
 * What an SMTP failure means for the reader's delivery:
 * - `permanent`: the relay refused the recipient for good (5xx to RCPT TO: no such user, domain
 *   gone): a hard bounce; the address is suppressed at once and never retried.
 * - `rejected`: the relay refused this message for good (5xx after DATA: content or policy):
 *   retrying cannot help, but the address is not to blame, so it is not suppressed.
 * - `temporary`: try again later (4xx greylisting or a full queue, a dropped connection, a
 *   timeout, and a 5xx to our login or our sender address, which is the relay's configuration,
 *   not the reader): retried with backoff, and counted by the circuit breaker, since many of these
 *   in a row mean the relay, not the reader, is the problem.
 */
export interface SmtpFailure {
  kind: 'permanent' | 'rejected' | 'temporary';
  /** The relay's reply code, when it replied. */
  code: number | null;
  /** One line for the delivery's `last_error`. */
  message: string;
}

interface NodemailerError {
  code?: string;
  /** The SMTP command the relay answered: `RCPT TO`, `DATA`, `MAIL FROM`, `AUTH …`. */
  command?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** Classifies an error thrown by nodemailer's `sendMail`. */
export function classifySmtpError(error: unknown): SmtpFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as NodemailerError;
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const message = (e.response ?? e.message ?? String(error)).replace(/\s+/g, ' ').trim().slice(0, 500);
  const refused = code !== null && code >= 500 && code < 600;
  const kind =
    refused && e.command === 'RCPT TO'
      ? 'permanent'
      : refused && e.command === 'DATA'
        ? 'rejected'
        : 'temporary';
  return { kind, code, message };
}
