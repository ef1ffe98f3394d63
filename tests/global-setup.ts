/* biome-ignore-all lint/suspicious/noConsole: the run says which real services it used */
import { existsSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { prepareTemplateDatabase } from './helpers/database.ts';

/** Migrates the test database once; every test file then works in its own copy of it. */
export default async function setup(project: TestProject) {
  const target = await prepareTemplateDatabase();
  project.provide('database', target);
  const where =
    target.kind === 'postgres'
      ? `PostgreSQL at ${target.display}`
      : 'the embedded engine (PGlite): no PostgreSQL server was reachable';
  const browser = existsSync('/usr/bin/chromium')
    ? 'Chromium at /usr/bin/chromium'
    : 'no Chromium (tests/e2e will fail)';
  console.log(
    `[paperboy tests] database: ${where}; SMTP: in-process smtp-server on 127.0.0.1; browser: ${browser}`,
  );
}

declare module 'vitest' {
  export interface ProvidedContext {
    database: { kind: 'postgres' | 'embedded'; templateUrl: string; display: string };
  }
}
