import { afterAll, beforeAll, expect, test } from 'vitest';
import { composeMessage } from '../../src/mail/compose.ts';
import { createMailer, type Mailer } from '../../src/mail/mailer.ts';
import { SmtpSink } from '../helpers/smtp-sink.ts';

const FROM = 'Paperboy <digest@papers.example>';
let sink: SmtpSink;
let mailer: Mailer;
beforeAll(async () => {
  sink = await SmtpSink.start({ refuse: (address) => (address.startsWith('gone') ? 550 : undefined) });
  mailer = createMailer(sink.url, FROM, { maxConnections: 2 });
});
afterAll(async () => {
  mailer.close();
  await sink.close();
});

test('the relay receives the composed bytes as they are, to the envelope of the message', async () => {
  const message = {
    to: 'reader@example.com',
    subject: 'Trending papers',
    html: `<p>${'Graph networks. '.repeat(500)}</p>\n.\n`,
    text: '.a line with a dot\r\n..and another\n',
    messageId: '<digest.2026-11-20.x@papers.example>',
    headers: { 'List-Id': 'Paperboy digest <digest.papers.example>' },
  };
  const result = await mailer.send(message);
  const received = await sink.waitFor('reader@example.com');
  const date = new Date(received.header('Date') ?? '');
  expect(received.raw).toBe(composeMessage({ ...message, from: FROM, date }).raw.toString('latin1'));
  expect(received.rcptTo).toEqual(['reader@example.com']);
  expect(result.messageId).toBe('<digest.2026-11-20.x@papers.example>');
  expect(result.response).toMatch(/^250/);
});

test('a refused recipient fails the send with the relay’s reply code', async () => {
  await expect(
    mailer.send({ to: 'gone@example.com', subject: 'x', html: '<p>x</p>', text: 'x' }),
  ).rejects.toMatchObject({ responseCode: 550, command: 'RCPT TO' });
});
