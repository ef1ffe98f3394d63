import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { createLogger, hashEmail } from '../../src/log.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { log: createLogger('debug', 1, destination), lines };
}

test('an address inside an error message or any field is written as its hash, and the line stays JSON', () => {
  const { log, lines } = capture();
  const address = 'Bob.Smith+news@Mail.Example.org';
  log.warn({
    event: 'digest.send_failed',
    err: new Error(`550 5.1.1 <${address}>: Recipient address rejected`),
  });
  log.info({ event: 'x', detail: { to: `"Bob" <${address}>`, list: [address] } }, `sent to ${address}`);
  expect(lines).toHaveLength(2);
  for (const line of lines) {
    expect(line.toLowerCase()).not.toContain('smith+news@mail.example.org');
    expect(line).toContain(`email:${hashEmail(address)}`);
    expect(() => JSON.parse(line)).not.toThrow();
  }
  expect(JSON.parse(lines[0] ?? '{}').err.message).toBe(
    `550 5.1.1 <email:${hashEmail(address)}>: Recipient address rejected`,
  );
});

test('the pseudonym is the one `who` fields carry, so an operator can follow a reader through the logs', () => {
  const { log, lines } = capture();
  log.info({ who: hashEmail('ada@example.com'), note: 'Ada@Example.com bounced' });
  const line = JSON.parse(lines[0] ?? '{}');
  expect(line.note).toBe(`email:${line.who} bounced`);
});

test('fields named email or token are redacted outright, and lines without an address are untouched', () => {
  const { log, lines } = capture();
  log.info({
    email: 'ada@example.com',
    nested: { token: 'abc.def' },
    text: 'no address here, just @mentions',
  });
  const line = JSON.parse(lines[0] ?? '{}');
  expect(line.email).toBe('[redacted]');
  expect(line.nested.token).toBe('[redacted]');
  expect(line.text).toBe('no address here, just @mentions');
});
