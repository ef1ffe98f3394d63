import type { AddressInfo } from 'node:net';
import PostalMime, { type Email } from 'postal-mime';
import { SMTPServer } from 'smtp-server';

/** A message the sink received: the parsed email, its raw header lines, and the SMTP envelope. */
export interface ReceivedMessage {
  email: Email;
  raw: string;
  rcptTo: string[];
  /** The exact value of the first header called `name` (case-insensitive), unfolded. */
  header(name: string): string | undefined;
}

/** How a sink behaves: which port, and how it answers. */
export interface SinkOptions {
  /** 0 (the default) is any free port; a fixed one lets a test bring a "relay" back up. */
  port?: number;
  /** An SMTP reply code to refuse a recipient with (451 try later, 550 no such user), or nothing. */
  refuse?: (address: string) => number | undefined;
  /** A reply code to refuse a whole message with after DATA (554 content rejected), or nothing. */
  refuseData?: (recipients: string[]) => number | undefined;
  /** Milliseconds to think before accepting each message, like a real relay (default 0). */
  delayMs?: number;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives, for tests to read. */
export class SmtpSink {
  readonly messages: ReceivedMessage[] = [];
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  /** Starts a sink (on a free port unless `options.port` says otherwise). */
  static async start(options: SinkOptions = {}): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        const code = options.refuse?.(address.address);
        if (!code) return callback();
        const error = Object.assign(new Error(`${code === 451 ? 'try again later' : 'no such user'}`), {
          responseCode: code,
        });
        callback(error);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', async () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const email = await PostalMime.parse(raw);
          const headerBlock = raw.split(/\r?\n\r?\n/)[0]?.replace(/\r?\n[ \t]+/g, ' ') ?? '';
          sink?.receive({
            email,
            raw,
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            header: (name) =>
              headerBlock
                .split(/\r?\n/)
                .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
                ?.slice(name.length + 1)
                .trim(),
          });
          const refused = options.refuseData?.(session.envelope.rcptTo.map((r) => r.address));
          if (refused) {
            sink?.messages.pop();
            callback(Object.assign(new Error('message rejected'), { responseCode: refused }));
          } else if (options.delayMs) setTimeout(callback, options.delayMs);
          else callback();
        });
      },
    });
    // A client that dies mid-message (a killed worker) resets its connection: expected, not a failure.
    server.on('error', () => {});
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()));
    sink = new SmtpSink(server, (server.server.address() as AddressInfo).port);
    return sink;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  private receive(message: ReceivedMessage): void {
    this.messages.push(message);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Messages sent to `address`. */
  to(address: string): ReceivedMessage[] {
    return this.messages.filter((m) => m.rcptTo.includes(address.toLowerCase()));
  }

  /** Waits until a message to `address` matching `predicate` arrives (or fails after `ms`). */
  async waitFor(
    address: string,
    predicate: (m: ReceivedMessage) => boolean = () => true,
    ms = 10_000,
  ): Promise<ReceivedMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.to(address).find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching email to ${address} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  clear(): void {
    this.messages.length = 0;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
