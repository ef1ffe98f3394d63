// Prisma CLI configuration. Only `prisma generate` is run here (see scripts/generate-client.js);
// migrations are applied by src/migrate.ts, so the URL may be empty.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
