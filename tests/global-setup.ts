/* biome-ignore-all lint/suspicious/noConsole: the run says which real services it used */
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
  console.log(`[paperboy tests] database: ${where}; SMTP: in-process smtp-server on 127.0.0.1`);
}

declare module 'vitest' {
  export interface ProvidedContext {
    database: { kind: 'postgres' | 'embedded'; templateUrl: string; display: string };
  }
}
