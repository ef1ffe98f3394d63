import { describe, expect, test } from 'vitest';
import { createToken, verifyToken } from '../../../src/subscribers/tokens.ts';

const SECRET = 'unit-test-secret-0123456789-abcdefghij';
const NOW = new Date('2026-11-28T12:00:00Z');
const claims = {
  purpose: 'unsubscribe' as const,
  subscriberId: '6f1c2d3e-0000-4000-8000-000000000001',
  version: 3,
  expiresAt: 0,
};

describe('link tokens', () => {
  test('a token verifies for its own purpose and carries its claims', () => {
    expect(verifyToken(SECRET, 'unsubscribe', createToken(SECRET, claims), NOW)).toEqual(claims);
  });

  test.each([
    ['another purpose', (t: string) => verifyToken(SECRET, 'manage', t, NOW)],
    ['another secret', (t: string) => verifyToken(`${SECRET}x`, 'unsubscribe', t, NOW)],
    [
      'a changed payload',
      (t: string) =>
        verifyToken(
          SECRET,
          'unsubscribe',
          `${Buffer.from(`${claims.subscriberId}.4.0.`).toString('base64url')}.${t.split('.')[1]}`,
          NOW,
        ),
    ],
    ['a truncated signature', (t: string) => verifyToken(SECRET, 'unsubscribe', t.slice(0, -2), NOW)],
    ['an extra segment', (t: string) => verifyToken(SECRET, 'unsubscribe', `${t}.x`, NOW)],
  ])('is refused with %s', (_name, check) => {
    expect(check(createToken(SECRET, claims))).toBeNull();
  });

  test('an expiring token works until its time and not after', () => {
    const expiresAt = Math.floor(NOW.getTime() / 1000) + 60;
    const token = createToken(SECRET, { ...claims, purpose: 'confirm', expiresAt });
    expect(verifyToken(SECRET, 'confirm', token, NOW)).not.toBeNull();
    expect(verifyToken(SECRET, 'confirm', token, new Date(NOW.getTime() + 61_000))).toBeNull();
  });

  test('garbage never throws', () => {
    for (const junk of ['', '.', '..', 'a.b', '%%%.%%%', 'x'.repeat(10_000)]) {
      expect(verifyToken(SECRET, 'manage', junk, NOW)).toBeNull();
    }
  });
});
