import PostalMime from 'postal-mime';
import { describe, expect, test } from 'vitest';
import { composeMessage } from '../../../src/mail/compose.ts';

const base = {
  from: 'Paperboy Digest <digest@papers.example>',
  to: 'reader@example.com',
  subject: 'Trending papers',
  html: '<p>Hello</p>',
  text: 'Hello',
  date: new Date('2026-11-20T08:00:00Z'),
};

describe('composeMessage', () => {
  test('a parser reads back the addresses, subject, both parts and the Message-ID', async () => {
    const html = `<p>${'Graph neural networks, grüße, 日本語 '.repeat(400)}</p>`;
    const { raw, messageId, envelope } = composeMessage({
      ...base,
      html,
      messageId: '<digest.2026-11-20.x@papers.example>',
    });
    const lines = raw.toString('latin1').split('\r\n');
    const email = await PostalMime.parse(raw);
    expect(email.from).toMatchObject({ name: 'Paperboy Digest', address: 'digest@papers.example' });
    expect(email.to).toEqual([expect.objectContaining({ address: 'reader@example.com' })]);
    expect(email.subject).toBe('Trending papers');
    expect(email.html).toBe(html);
    expect(email.text).toBe('Hello');
    expect(email.messageId).toBe('<digest.2026-11-20.x@papers.example>');
    expect(messageId).toBe('<digest.2026-11-20.x@papers.example>');
    expect(envelope).toEqual({ from: 'digest@papers.example', to: ['reader@example.com'] });
    // RFC 5322: no line over 998 characters; ours keep to 76 in the body.
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(998);
  });

  test('parts of every length come back whole, in lines of 76 characters with no bare CR or LF', async () => {
    // Lengths around a line's worth of base64 (57 bytes), in one- to four-byte UTF-8 characters.
    for (const length of [0, 1, 56, 57, 58, 113, 114, 115, 1000]) {
      const html = [...'aé“😀'.repeat(length)].slice(0, length).join('');
      const text = `${'x'.repeat(length)}\n.`;
      const { raw } = composeMessage({ ...base, html, text });
      const email = await PostalMime.parse(raw);
      expect(email.html ?? '').toBe(html);
      expect(email.text).toBe(text);
      const body = raw.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n');
      expect(body).not.toMatch(/\r(?!\n)|(?<!\r)\n/);
      expect(Math.max(...body.split('\r\n').map((line) => line.length))).toBeLessThanOrEqual(76);
    }
  });

  test('non-ASCII subjects and names are encoded words that decode to the original', async () => {
    const { raw } = composeMessage({
      ...base,
      from: 'Zeitungsjunge Ü <z@papers.example>',
      subject: 'Zwölf Papiere: “Diffusion” für dich',
    });
    expect(raw.every((byte) => byte < 128)).toBe(true);
    const email = await PostalMime.parse(raw);
    expect(email.subject).toBe('Zwölf Papiere: “Diffusion” für dich');
    expect(email.from?.name).toBe('Zeitungsjunge Ü');
  });

  test('a line break in a subject or header value cannot start another header', async () => {
    const { raw } = composeMessage({
      ...base,
      subject: 'Papers\r\nBcc: victim@example.com',
      headers: { 'List-Id': 'Digest\n<x>\r\nX-Injected: yes' },
    });
    const email = await PostalMime.parse(raw);
    expect(email.headers.find((h) => h.key === 'bcc')).toBeUndefined();
    expect(email.headers.find((h) => h.key === 'x-injected')).toBeUndefined();
    expect(email.subject).toBe('Papers Bcc: victim@example.com');
  });

  test('without a Message-ID it makes a unique one at the sender’s domain', () => {
    const first = composeMessage(base).messageId;
    expect(first).toMatch(/^<[\w-]+@papers\.example>$/);
    expect(composeMessage(base).messageId).not.toBe(first);
  });

  test('a From that is not an address is refused, naming it', () => {
    expect(() => composeMessage({ ...base, from: 'Paperboy' })).toThrow(
      /MAIL_FROM is not an address: Paperboy/,
    );
  });
});
