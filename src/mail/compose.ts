import { randomUUID } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';
import { encodeWords, foldLines, isPlainText, quoteString } from 'nodemailer/lib/mime-funcs';

/**
 * The parts are base64, whose alphabet has no `_`, and `=` only at a part's end: no line of a
 * part can start with this boundary, so it need not be random.
 */
const BOUNDARY = '=_paperboy_alternative_=';
const LINE = 76;

/** What goes into one message; every header value is one line (line breaks are removed here). */
export interface ComposeInput {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  messageId?: string | undefined;
  date: Date;
  headers?: Record<string, string> | undefined;
}

/**
 * Builds the RFC 5322 text of a multipart/alternative message (plain text, then HTML, both UTF-8
 * in base64) in one pass. nodemailer's own composer streams every 76-character line through
 * several transforms; measured here on 32 KB digests it costs twice the CPU of this, and one
 * worker's CPU is what limits sending. Encoding of non-ASCII header words and line folding are
 * nodemailer's (mime-funcs), and nodemailer still sends it (and signs it, with DKIM).
 */
export function composeMessage(input: ComposeInput): {
  raw: string;
  messageId: string;
  envelope: { from: string; to: string[] };
} {
  const from = addressparser(input.from, { flatten: true })[0];
  if (!from?.address) throw new Error(`MAIL_FROM is not an address: ${input.from}`);
  const messageId = input.messageId ?? `<${randomUUID()}@${from.address.split('@')[1] ?? 'localhost'}>`;
  const headers: [string, string][] = [
    ['From', formatAddress(from.name, from.address)],
    ['To', input.to],
    ['Subject', encodeWords(oneLine(input.subject), 'Q', 52)],
    ['Date', input.date.toUTCString().replace('GMT', '+0000')],
    ['Message-ID', messageId],
    ...Object.entries(input.headers ?? {}).map(([name, value]): [string, string] => [name, oneLine(value)]),
    ['MIME-Version', '1.0'],
    ['Content-Type', `multipart/alternative; boundary="${BOUNDARY}"`],
  ];
  const raw = [
    ...headers.map(([name, value]) => foldLines(`${name}: ${value}`, 76, false)),
    '',
    `--${BOUNDARY}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(input.text),
    `--${BOUNDARY}`,
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    base64Lines(input.html),
    `--${BOUNDARY}--`,
    '',
  ].join('\r\n');
  return { raw, messageId, envelope: { from: from.address, to: [input.to] } };
}

function formatAddress(name: string | undefined, address: string): string {
  if (!name) return address;
  const display = isPlainText(name)
    ? /[^\w !#$%&'*+\-/=?^`{|}~]/.test(name)
      ? quoteString(name)
      : name
    : encodeWords(name, 'Q', 52);
  return `${oneLine(display)} <${address}>`;
}

/** A header value on one line: no CR, LF or other control characters can start a new header. */
function oneLine(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** UTF-8 in base64, in lines of 76 characters (RFC 2045). */
function base64Lines(text: string): string {
  const encoded = Buffer.from(text, 'utf8').toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < encoded.length; at += LINE) lines.push(encoded.slice(at, at + LINE));
  return lines.join('\r\n');
}
