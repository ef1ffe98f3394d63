import fc from 'fast-check';
import DataStream from 'nodemailer/lib/smtp-connection/data-stream';
import { describe, expect, test } from 'vitest';
import { composeMessage } from '../../../src/mail/compose.ts';
import { createMailer } from '../../../src/mail/mailer.ts';
import { passesUnchanged, skipStuffingCleanData, stuffDots } from '../../../src/mail/smtp-data.ts';

/** DataStream as nodemailer ships it, whatever the prototype holds now. */
class ShippedDataStream extends DataStream {}
(ShippedDataStream.prototype as unknown as { _transform: unknown })._transform = stuffDots;

/** What `stream` makes of `chunks`: its output, and the counts and last byte it keeps. */
async function run(stream: DataStream, chunks: Buffer[]) {
  const out: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = new Promise((resolve) => stream.on('end', resolve));
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await ended;
  return {
    bytes: Buffer.concat(out).toString('latin1'),
    inByteCount: stream.inByteCount,
    outByteCount: stream.outByteCount,
    lastByte: stream.lastByte,
  };
}

/** Chunks made of the bytes that matter to dot-stuffing, and a few that do not. */
const chunks = fc.array(
  fc
    .array(fc.constantFrom(...'\r\n.aZ= '), { maxLength: 12 })
    .map((bytes) => Buffer.from(bytes.join(''), 'latin1')),
  { maxLength: 8 },
);

describe('DataStream skipping clean chunks', () => {
  test('writes the same bytes and counts as nodemailer shipped it, for any chunks', async () => {
    skipStuffingCleanData();
    await fc.assert(
      fc.asyncProperty(chunks, async (input) => {
        expect(await run(new DataStream(), input)).toEqual(await run(new ShippedDataStream(), input));
      }),
      { numRuns: 2_000 },
    );
  });

  test('a composed digest passes unchanged, in one chunk or cut anywhere', () => {
    const { raw } = composeMessage({
      from: 'Paperboy <digest@papers.example>',
      to: 'reader@example.com',
      subject: 'Trending papers',
      html: `<p>${'Graph neural networks, grüße. '.repeat(300)}</p>`,
      text: '.starts with a dot\n. and again\r\n',
      date: new Date('2026-11-20T08:00:00Z'),
    });
    expect(passesUnchanged(raw, false)).toBe(true);
    for (const cut of [1, 76, 77, 78, 1000]) {
      expect(passesUnchanged(raw.subarray(0, cut), false)).toBe(true);
      expect(passesUnchanged(raw.subarray(cut), raw[cut - 1] as number)).toBe(true);
    }
  });

  test('finds each change DataStream would make', () => {
    const clean = (text: string, before: number | false = false) =>
      passesUnchanged(Buffer.from(text), before);
    expect(clean('a\r\nb\r\n')).toBe(true);
    expect(clean('.a\r\n')).toBe(false);
    expect(clean('a\r\n.b')).toBe(false);
    expect(clean('a\nb')).toBe(false);
    expect(clean('a\rb')).toBe(false);
    expect(clean('a\r')).toBe(true);
    expect(clean('b', 0x0d)).toBe(false);
    expect(clean('\nb', 0x0d)).toBe(true);
    expect(clean('.b', 0x0a)).toBe(false);
    expect(clean('.b', 0x61)).toBe(true);
    expect(clean('')).toBe(false);
  });

  test('is in place once a mailer exists', () => {
    createMailer('smtp://127.0.0.1:1', 'Paperboy <digest@papers.example>').close();
    expect((DataStream.prototype as unknown as { _transform: unknown })._transform).not.toBe(stuffDots);
  });
});
