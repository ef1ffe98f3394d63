import { readFileSync } from 'node:fs';
import type { PrismaClient } from '../src/db.ts';
import type { Deps } from '../src/deps.ts';
import { createLogger } from '../src/log.ts';
import type { Mailer } from '../src/mail/mailer.ts';

export const BENCH_FROM = 'Paperboy <bench@paperboy.example>';

/** What the bench's processes run the product with: quiet logs, fixed secret and URLs, the real clock. */
export function benchDeps(db: PrismaClient, mailer: Mailer): Deps {
  return {
    db,
    mailer,
    log: createLogger('warn', 2),
    config: {
      secretKey: 'bench-secret-key-that-is-long-enough-0123456789',
      publicUrl: 'https://paperboy.example',
      mailFrom: BENCH_FROM,
    },
    now: () => new Date(),
  };
}

/**
 * The V8 flags Paperboy's processes start with (bin/paperboy.js's first line; the npm scripts and
 * the image use the same), so the bench's planning process runs as the scheduler does.
 */
export function productNodeFlags(): string[] {
  const shebang = readFileSync(new URL('../bin/paperboy.js', import.meta.url), 'utf8').split('\n')[0] ?? '';
  return shebang.split(/\s+/).filter((word) => word.startsWith('--'));
}
