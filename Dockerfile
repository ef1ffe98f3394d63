# syntax=docker/dockerfile:1
# One image for every role: the command picks it (start, serve, scheduler, worker, migrate, ingest,
# digest run, subscribers …). There is no build step: bin/paperboy.js runs the TypeScript sources
# through tsx. Migrations need no job of their own: every role applies the pending ones when it
# starts, under a PostgreSQL advisory lock, so containers starting together never race.
# docs/operators.md is the operator's guide.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- deps: the locked dependencies, then the generated Prisma client ---------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency's install script runs. The npm in this image runs them by
# default, and Prisma's would download native engines that Paperboy never uses (queries go
# through the WebAssembly compiler of @prisma/client, migrations through src/migrate.ts). Our own
# postinstall, which generates the client offline, runs on its own below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/generate-client.js ./scripts/
RUN node scripts/generate-client.js \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime: production dependencies, the generated client and the sources ---------------------
FROM ${NODE_IMAGE} AS runtime
# MALLOC_ARENA_MAX: V8 compiles Prisma's query compiler (WebAssembly) on background threads, and
# glibc keeps what each thread freed in an arena of its own: 55–100 MB of a process's memory, about
# half of it with two arenas.
ENV NODE_ENV=production \
    DATA_DIR=/app/data \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    MALLOC_ARENA_MAX=2
WORKDIR /app
# Owned by root and read-only to the app: a compromised process cannot rewrite its own code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY --from=deps /app/src/generated ./src/generated
COPY jobs ./jobs
COPY templates ./templates
COPY prisma ./prisma
COPY scripts/healthcheck.js ./scripts/
# DATA_DIR is written only without DATABASE_URL (embedded database) or SMTP_URL (captured mail);
# mount a volume here if you run the image that way.
RUN mkdir -p /app/data && chown node:node /app/data
# The official image's unprivileged user (uid 1000).
USER node
EXPOSE 3000
# /healthz answers while the process runs. Workers have no HTTP; docker-compose.yml gives them a
# probe of their METRICS_PORT instead.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "scripts/healthcheck.js"]
# node is PID 1 and handles SIGTERM itself: stop taking work, finish what is in flight, exit.
# The V8 flags bound the heap's garbage (see bin/paperboy.js, which carries the same ones).
ENTRYPOINT ["node", "--max-old-space-size=512", "--max-semi-space-size=4", "bin/paperboy.js"]
CMD ["start"]
