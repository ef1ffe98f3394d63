// A ranking thread of RankerPool (many.ts). Threads do not inherit the tsx loader that the
// process registered, so this plain module registers it before loading the TypeScript.
import { register } from 'tsx/esm/api';

register();
await import('./rank-worker.ts');
