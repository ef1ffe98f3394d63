// Generates the Prisma client on `npm ci` without network access.
//
// Prisma's CLI downloads a native schema engine before it runs any command, which fails on
// machines that reach only the npm registry. `prisma generate` never uses that engine, so we
// point PRISMA_SCHEMA_ENGINE_BINARY at an existing file to skip the download. Migrations do not
// go through the CLI at all: src/migrate.ts applies prisma/migrations itself.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const cli = require.resolve('prisma/build/index.js');
execFileSync(process.execPath, [cli, 'generate'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    CHECKPOINT_DISABLE: '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
