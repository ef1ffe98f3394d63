/**
 * What an SMTP failure means for the reader's delivery:
 * - `permanent`: the relay refused the message for good (5xx): a hard bounce; the address is
 *   suppressed at once and never retried.
 * - `temporary`: try again later (4xx greylisting or a full queue, a dropped connection, a timeout,
 *   the relay refusing our login): retried with backoff, and counted by the circuit breaker,
 *   since many of these in a row mean the relay, not the reader, is the problem.
 */
export interface SmtpFailure {
  kind: 'permanent' | 'temporary';
  /** The relay's reply code, when it replied. */
  code: number | null;
  /** One line for the delivery's `last_error`. */
  message: string;
}

interface NodemailerError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** Classifies an error thrown by nodemailer's `sendMail`. */
export function classifySmtpError(error: unknown): SmtpFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as NodemailerError;
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const text = (e.response ?? e.message ?? String(error)).replace(/\s+/g, ' ').trim().slice(0, 500);
  // A 5xx to our login (530, 535) says our credentials are wrong, not that the reader is gone.
  const permanent = code !== null && code >= 500 && code < 600 && e.code !== 'EAUTH';
  return { kind: permanent ? 'permanent' : 'temporary', code, message: text };
}
