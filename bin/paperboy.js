#!/usr/bin/env node
// Paperboy runs its TypeScript sources directly through tsx: no build step between `npm ci` and
// a working CLI, and stack traces point at the files you read.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
