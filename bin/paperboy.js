#!/usr/bin/env -S node --max-old-space-size=1024 --max-semi-space-size=4
// Paperboy runs its TypeScript sources directly through tsx: no build step between `npm ci` and
// a working CLI, and stack traces point at the files you read.
//
// The V8 flags above (also in package.json's scripts and the Dockerfile's ENTRYPOINT; a test keeps
// them the same) bound the garbage a long-running process keeps. With V8's defaults on a machine
// with several GB, the heap may grow to 4× what is live before a full collection, and the young
// generation to 48 MB: planning 200,000 readers peaked at 2 GB. A 1 GB old space makes V8 grow it
// by at most 1.6× (far above what planning keeps live, ~100 MB at 1,000,000 readers), and 4 MB
// semi-spaces cost no measurable planning time. See README "Memory".
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
