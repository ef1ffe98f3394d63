import { Readable } from 'node:stream';
import nodemailer from 'nodemailer';
import DKIM from 'nodemailer/lib/dkim';
import MimeNode from 'nodemailer/lib/mime-node';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
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
  });
  const pool = transport.transporter as SMTPPool;
  const dkim = options.dkim ? new DKIM(options.dkim) : undefined;
  return {
    async send(message) {
      const { raw, messageId, envelope } = composeMessage({ ...message, from, date: new Date() });
      const mail = { data: {}, message: new ComposedMessage(raw, messageId, envelope, dkim) };
      const info = await new Promise<{ response: string }>((resolve, reject) =>
        pool.send(mail as unknown as Parameters<SMTPPool['send']>[0], (error, sent) =>
          error || !sent ? reject(error) : resolve(sent),
        ),
      );
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

/**
 * A composed message as the pooled transport takes it, handed to the pool without `sendMail`: for
 * bytes already composed, sendMail's compile step (MailComposer, and a MimeNode streaming them
 * through a pipeline of three streams) changes nothing but cost the worker ~0.35 ms a message,
 * an eighth of its CPU. nodemailer's MimeNode still keeps the envelope (its address rules) and the
 * Message-ID the pool reads; the bytes are read as they are, signed on the way when DKIM is set.
 */
class ComposedMessage extends MimeNode {
  constructor(
    private readonly raw: Buffer,
    messageId: string,
    envelope: { from: string; to: string[] },
    private readonly dkim: DKIM | undefined,
  ) {
    // MimeNode draws a random multipart boundary (~35 µs a message) that composed bytes never use.
    super(undefined, { baseBoundary: 'composed' });
    this.setHeader('Message-ID', messageId);
    this.setEnvelope(envelope);
  }

  override createReadStream(): Readable {
    if (this.dkim) return this.dkim.sign(this.raw);
    const raw = this.raw;
    return new Readable({
      read() {
        this.push(raw);
        this.push(null);
      },
    });
  }
}
