import { describe, expect, test } from 'vitest';
import { classifySmtpError } from '../../../src/mail/smtp-errors.ts';

// Shaped as nodemailer's errors are: code, command, responseCode, response.
const smtpError = (command: string, responseCode: number, response: string, code = 'EENVELOPE') =>
  Object.assign(new Error(response), { code, command, responseCode, response });

describe('classifySmtpError', () => {
  test.each([
    ['550 to RCPT TO: the address is gone', smtpError('RCPT TO', 550, '550 5.1.1 no such user'), 'permanent'],
    [
      '554 after DATA: this message, not the address',
      smtpError('DATA', 554, '554 5.7.1 rejected as spam', 'EMESSAGE'),
      'rejected',
    ],
    [
      '451 to RCPT TO: greylisted, try later',
      smtpError('RCPT TO', 451, '451 4.7.1 try again later'),
      'temporary',
    ],
    [
      '553 to MAIL FROM: our sender, the relay’s configuration',
      smtpError('MAIL FROM', 553, '553 sender not allowed'),
      'temporary',
    ],
    [
      '535 to AUTH: our credentials',
      smtpError('AUTH PLAIN', 535, '535 authentication failed', 'EAUTH'),
      'temporary',
    ],
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:25'), { code: 'ESOCKET' }),
      'temporary',
    ],
    ['something that is not an error', 'boom', 'temporary'],
  ])('%s', (_name, error, kind) => {
    expect(classifySmtpError(error).kind).toBe(kind);
  });

  test('the message is the relay’s reply on one line, with its code', () => {
    const failure = classifySmtpError(smtpError('RCPT TO', 550, '550 5.1.1\r\n no such user'));
    expect(failure).toEqual({ kind: 'permanent', code: 550, message: '550 5.1.1 no such user' });
  });
});
