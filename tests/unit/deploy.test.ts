import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import {
  type ComposeService,
  composeReferences,
  configVariables,
  dockerContextIncludes,
  envExampleLines,
  execForm,
  loadCompose,
  parseDockerfile,
  parsePort,
  ROOT,
  readRepoFile,
  repoHas,
  serviceEnv,
} from '../helpers/deploy-files.ts';
import { paperboy } from '../helpers/run-cli.ts';

// What an operator must provide: every `${VAR:?…}` of docker-compose.yml, with a valid value.
const REQUIRED = { SECRET_KEY: 'k'.repeat(44) };
const compose = loadCompose(REQUIRED);
const paperboyServices = Object.entries(compose.services).filter(
  ([, service]) => service.build !== undefined,
);
const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const runtime = dockerfile.stages.at(-1);
const instructions = (keyword: string) => runtime?.instructions.filter((i) => i.keyword === keyword) ?? [];
/** The V8 flags on bin/paperboy.js's first line (`#!/usr/bin/env -S node --flag …`). */
const nodeFlags = (readRepoFile('bin/paperboy.js').split('\n')[0] ?? '')
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

/** Asks the real CLI whether `args` (a command and its options) exist: its --help must name them. */
async function expectCliAccepts(args: string[]) {
  const words = args.filter((arg) => !arg.startsWith('-'));
  const options = args.filter((arg) => arg.startsWith('-')).map((arg) => arg.split('=')[0] ?? arg);
  const run = await paperboy([...words, '--help']);
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout).toContain(`Usage: paperboy ${words.join(' ')}`);
  for (const option of options) expect(run.stdout).toContain(option);
}

describe('V8 flags', () => {
  test('the CLI, the npm scripts that start it and the image start node with the same flags', () => {
    expect(nodeFlags).toEqual(['--max-old-space-size=512', '--max-semi-space-size=4']);
    const { scripts } = JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> };
    for (const name of ['start', 'cli', 'demo'])
      expect(scripts[name]?.startsWith(`node ${nodeFlags.join(' ')} bin/paperboy.js`), name).toBe(true);
  });
});

describe('docker-compose.yml', () => {
  test('refuses to start without SECRET_KEY, and every other variable has a default', () => {
    expect(() => loadCompose({})).toThrow(/SECRET_KEY/);
    const references = composeReferences(readRepoFile('docker-compose.yml'));
    expect(references.filter((ref) => ref.op === '')).toEqual([]);
    expect([...new Set(references.filter((ref) => ref.op.includes('?')).map((ref) => ref.name))]).toEqual([
      'SECRET_KEY',
    ]);
  });

  test('app and worker get a valid production config wired to the postgres and mailpit services', () => {
    expect(paperboyServices.map(([name]) => name).sort()).toEqual(['app', 'worker']);
    const postgres = serviceEnv(compose.services.postgres ?? {});
    for (const [, service] of paperboyServices) {
      const config = loadConfig(serviceEnv(service));
      expect(config.env).toBe('production');
      const database = new URL(config.databaseUrl ?? '');
      expect(database.hostname).toBe('postgres');
      expect(decodeURIComponent(database.username)).toBe(postgres.POSTGRES_USER);
      expect(decodeURIComponent(database.password)).toBe(postgres.POSTGRES_PASSWORD);
      expect(database.pathname).toBe(`/${postgres.POSTGRES_DB}`);
      const smtp = new URL(config.smtpUrl ?? '');
      expect(smtp.hostname).toBe('mailpit');
      const mailpitPorts = (compose.services.mailpit?.ports ?? []).map((port) => parsePort(port).target);
      expect(mailpitPorts).toContain(smtp.port);
    }
  });

  test("the operator's .env reaches every container: a relay, a database password, a public URL", () => {
    const vars = {
      ...REQUIRED,
      SMTP_URL: 'smtps://user:secret@relay.example.com:465',
      POSTGRES_PASSWORD: 'another-password',
      PUBLIC_URL: 'https://papers.example.com',
    };
    const configured = loadCompose(vars);
    for (const [name] of paperboyServices) {
      const config = loadConfig(serviceEnv(configured.services[name] ?? {}));
      expect(config.smtpUrl).toBe(vars.SMTP_URL);
      expect(config.publicUrl).toBe(vars.PUBLIC_URL);
      expect(new URL(config.databaseUrl ?? '').password).toBe(vars.POSTGRES_PASSWORD);
    }
    expect(configured.services.postgres?.environment?.POSTGRES_PASSWORD).toBe(vars.POSTGRES_PASSWORD);
  });

  test('app runs HTTP and the scheduler; workers send, publish no port, and their probe is /healthz on the metrics port', async () => {
    const { app, worker } = compose.services as Record<string, ComposeService>;
    expect(app?.command).toEqual(['start', '--no-worker']);
    expect(worker?.command).toEqual(['worker']);
    for (const [, service] of paperboyServices) await expectCliAccepts(service.command as string[]);
    expect(worker?.ports ?? []).toEqual([]);
    const metricsPort = loadConfig(serviceEnv(worker ?? {})).metricsPort;
    expect(metricsPort).toBeGreaterThan(0);
    expect(worker?.healthcheck?.test).toEqual([
      'CMD',
      'node',
      'scripts/healthcheck.js',
      `http://127.0.0.1:${metricsPort}/healthz`,
    ]);
    const appPort = String(loadConfig(serviceEnv(app ?? {})).port);
    expect((app?.ports ?? []).map((port) => parsePort(port).target)).toEqual([appPort]);
  });

  test('images are pinned, builds have a Dockerfile, dependencies and volumes exist, ports bind to loopback', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.build !== undefined) {
        const build = typeof service.build === 'string' ? { context: service.build } : service.build;
        expect(repoHas(path.join(build.context ?? '.', build.dockerfile ?? 'Dockerfile')), name).toBe(true);
      } else {
        expect(service.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
        expect(service.image, name).not.toMatch(/:latest$/);
      }
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(Object.keys(compose.services), name).toContain(dependency);
        if (condition === 'service_healthy') expect(compose.services[dependency]?.healthcheck).toBeDefined();
      }
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(Object.keys(compose.volumes ?? {})).toContain(source);
      }
      for (const port of service.ports ?? [])
        expect(parsePort(port).hostIp, `${name} ${port}`).toBe('127.0.0.1');
    }
  });
});

describe('Dockerfile', () => {
  test('every base image is pinned and every stage it copies from exists', () => {
    const names = dockerfile.stages.map((stage) => stage.name);
    for (const stage of dockerfile.stages) {
      expect(stage.image).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(stage.image).not.toMatch(/:latest$/);
      for (const copy of stage.instructions.filter((i) => i.keyword === 'COPY')) {
        const from = /--from=(\S+)/.exec(copy.args)?.[1];
        if (from) expect(names.slice(0, names.indexOf(stage.name))).toContain(from);
      }
    }
  });

  test('every file it copies from the build context exists and is let through by .dockerignore', () => {
    const dockerignore = readRepoFile('.dockerignore');
    const copies = dockerfile.stages.flatMap((stage) =>
      stage.instructions.filter((i) => i.keyword === 'COPY' && !i.args.includes('--from=')),
    );
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const sources = copy.args
        .split(/\s+/)
        .filter((word) => !word.startsWith('--'))
        .slice(0, -1);
      for (const source of sources) {
        expect(repoHas(source), source).toBe(true);
        expect(dockerContextIncludes(dockerignore, source.replace(/\/$/, '')), source).toBe(true);
      }
    }
    for (const secret of ['.env', 'data/secret-key', 'node_modules/pg/package.json', 'src/generated/prisma'])
      expect(dockerContextIncludes(dockerignore, secret), secret).toBe(false);
  });

  test('the runtime runs bin/paperboy.js as a non-root user, with a health probe and the app port', async () => {
    const user = instructions('USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user?.split(':')[0]);
    expect(
      instructions('ENV')
        .map((i) => i.args)
        .join(' '),
    ).toMatch(/NODE_ENV=production/);
    expect(execForm(instructions('ENTRYPOINT')[0]?.args ?? '[]')).toEqual([
      'node',
      ...nodeFlags,
      'bin/paperboy.js',
    ]);
    await expectCliAccepts(execForm(instructions('CMD')[0]?.args ?? '[]'));
    expect(execForm(instructions('HEALTHCHECK')[0]?.args ?? '[]')).toEqual([
      'node',
      'scripts/healthcheck.js',
    ]);
    const appPort = loadConfig(serviceEnv(compose.services.app ?? {})).port;
    expect(instructions('EXPOSE').map((i) => i.args)).toEqual([String(appPort)]);
  });
});

describe('scripts/healthcheck.js', () => {
  const probe = (args: string[], env: Record<string, string> = {}) =>
    new Promise<number | null>((resolve) => {
      execFile(process.execPath, [path.join(ROOT, 'scripts/healthcheck.js'), ...args], { env }, (error) =>
        resolve(error ? (typeof error.code === 'number' ? error.code : null) : 0),
      );
    });

  test('exits 0 on a 2xx answer and 1 on an error status or no answer; defaults to /healthz on PORT', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/healthz' ? 200 : 503).end('x'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await probe([`http://127.0.0.1:${port}/healthz`])).toBe(0);
      expect(await probe([`http://127.0.0.1:${port}/readyz`])).toBe(1);
      expect(await probe([], { PORT: String(port) })).toBe(0);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    expect(await probe([`http://127.0.0.1:${port}/healthz`])).toBe(1);
  });
});

describe('.env.example', () => {
  test('lists every variable src/config.ts reads, and nothing else', () => {
    const read = configVariables();
    expect(read.length).toBeGreaterThan(40);
    const listed = [...new Set(envExampleLines().map((line) => line.name))];
    expect(listed.sort()).toEqual([...read].sort());
  });

  test('sets nothing by itself, and its example values are valid', () => {
    const lines = envExampleLines();
    expect(lines.filter((line) => !line.commented)).toEqual([]);
    // The first value shown for each variable; files that need not exist and the DKIM set are left out.
    const env: Record<string, string> = { DATA_DIR: mkdtempSync(path.join(tmpdir(), 'paperboy-env-')) };
    for (const { name, value } of lines)
      if (value !== '' && !name.endsWith('_FILE') && !name.startsWith('DKIM_') && !(name in env))
        env[name] = value;
    expect(() => loadConfig(env)).not.toThrow();
  });
});
