import nodemailer from 'nodemailer';
import { composeMessage } from './compose.ts';
import { skipStuffingCleanData } from './smtp-data.ts';

/** One email ready to go: all content rendered, all headers decided. */
export interface OutgoingMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Deterministic where a resend must be recognisable (digests); otherwise a random one. */
  messageId?: string;
  /** More headers (List-Unsubscribe, List-Id…), each one line. */
  headers?: Record<string, string>;
}

/** What the relay said. */
export interface SendResult {
  messageId: string;
  response: string;
}

/** The seam between Paperboy and SMTP: everything that sends mail goes through one of these. */
export interface Mailer {
  send(message: OutgoingMessage): Promise<SendResult>;
  /** Connects and greets the relay (for readiness checks); rejects when it cannot. */
  verify(): Promise<void>;
  close(): void;
}

/** How one process's pool talks to the relay. */
export interface MailerOptions {
  /** Connections in the pool (default 5). */
  maxConnections?: number;
  /** Messages per second across the pool; 0 or unset is no limit. */
  ratePerSecond?: number;
  /** Signs every message when set. */
  dkim?: { domainName: string; keySelector: string; privateKey: string } | undefined;
}

/** A pooled nodemailer SMTP transport to `smtpUrl`, sending as `from`. */
export function createMailer(smtpUrl: string, from: string, options: MailerOptions = {}): Mailer {
  skipStuffingCleanData();
  const url = new URL(smtpUrl);
  const transport = nodemailer.createTransport({
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
    secure: url.protocol === 'smtps:',
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    // A relay on this machine (the capture server, a local sink) has no certificate worth checking.
    ...(['127.0.0.1', 'localhost', '::1'].includes(url.hostname) ? { ignoreTLS: true } : {}),
    pool: true,
    maxConnections: options.maxConnections ?? 5,
    // nodemailer's default, 100, opens a new connection every 100 messages: against the bench's
    // sink each costs ~2 ms of the worker's CPU and ~105 ms before the greeting (the sink looks up
    // the client's name first, as relays do), ~6 % of a connection's time at 300 messages/s; TLS
    // would add a handshake. A relay that wants fewer per connection says so (421, or closing
    // it), and nodemailer sends the message again on a new connection.
    maxMessages: 1_000,
    ...(options.ratePerSecond ? { rateLimit: options.ratePerSecond, rateDelta: 1000 } : {}),
    ...(options.dkim ? { dkim: options.dkim } : {}),
  });
  return {
    async send(message) {
      const { raw, messageId, envelope } = composeMessage({ ...message, from, date: new Date() });
      // The Message-ID is in `raw` already; naming it spares nodemailer generating one of its own.
      const info = await transport.sendMail({ envelope, raw, messageId });
      return { messageId, response: info.response };
    },
    async verify() {
      await transport.verify();
    },
    close() {
      transport.close();
    },
  };
}
