#!/usr/bin/env -S node --max-old-space-size=512 --max-semi-space-size=4
// Paperboy runs its TypeScript sources directly through tsx: no build step between `npm ci` and
// a working CLI, and stack traces point at the files you read.
//
// The V8 flags above (also in package.json's scripts and the Dockerfile's ENTRYPOINT; a test keeps
// them the same) bound the garbage a long-running process keeps. With V8's defaults on a machine
// with several GB, the heap may grow to 4× what is live before a full collection, and the young
// generation to 48 MB: planning 200,000 readers peaked at 2 GB. A 512 MB old space keeps V8's
// growth of it close to what is live (planning 50,000 readers with interests of their own keeps
// 80–130 MB live, the ranking's caches being bounded): it peaked at 301 MB instead of 368 MB with
// 1 GB, in the same CPU time; 4 MB semi-spaces cost no measurable planning time. See README "Memory".
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
