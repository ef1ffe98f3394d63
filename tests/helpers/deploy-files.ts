import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ENV_VARS } from '../../src/config.ts';

/** The repository's root: every deployment file is read from here. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const readRepoFile = (name: string): string => readFileSync(path.join(ROOT, name), 'utf8');
export const repoHas = (name: string): boolean => existsSync(path.join(ROOT, name));

/** A Compose service, as far as these tests read it. */
export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  ports?: (string | number)[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string; disable?: boolean };
  volumes?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

// $$, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, $NAME
const REFERENCE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Every `${…}` reference in `text`: its variable and operator (`''` for a bare reference). */
export function composeReferences(text: string): { name: string; op: string }[] {
  return [...text.matchAll(REFERENCE)]
    .filter(([match]) => match !== '$$')
    .map((match) => ({ name: match[1] ?? match[4] ?? '', op: match[2] ?? '' }));
}

/** Substitutes variables as Compose does; a `:?` or `?` reference that is not satisfied throws its message. */
export function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(REFERENCE, (match, braced?: string, op?: string, arg = '', bare?: string) => {
    if (match === '$$') return '$';
    const name = braced ?? bare ?? '';
    const value = vars[name];
    const missing = value === undefined || (op?.startsWith(':') === true && value === '');
    if (op === ':-' || op === '-') return missing ? arg : (value as string);
    if ((op === ':?' || op === '?') && missing)
      throw new Error(`required variable ${name} is missing: ${arg}`);
    return value ?? '';
  });
}

function interpolateDeep(value: unknown, vars: Record<string, string>): unknown {
  if (typeof value === 'string') return interpolate(value, vars);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, vars));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, vars)]));
  return value;
}

/** docker-compose.yml as Compose sees it with these variables set (merge keys resolved). */
export function loadCompose(vars: Record<string, string>): ComposeFile {
  return interpolateDeep(parse(readRepoFile('docker-compose.yml'), { merge: true }), vars) as ComposeFile;
}

/** A service's environment as strings, the way the container gets it. */
export const serviceEnv = (service: ComposeService): Record<string, string> =>
  Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [
      key,
      value === null ? '' : String(value),
    ]),
  );

/** A short-syntax port, `[IP:]HOST:CONTAINER` or `CONTAINER`. */
export function parsePort(spec: string | number): { hostIp: string; published?: string; target: string } {
  const parts = String(spec).split(':');
  if (parts.length === 1) return { hostIp: '0.0.0.0', target: parts[0] ?? '' };
  if (parts.length === 2) return { hostIp: '0.0.0.0', published: parts[0], target: parts[1] ?? '' };
  return { hostIp: parts[0] ?? '', published: parts[1], target: parts[2] ?? '' };
}

/** One Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's global ARGs and its stages, each a list of instructions. */
export function parseDockerfile(text: string): {
  args: Record<string, string>;
  stages: { name: string | undefined; image: string; instructions: Instruction[] }[];
} {
  const lines = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const args: Record<string, string> = {};
  const stages: { name: string | undefined; image: string; instructions: Instruction[] }[] = [];
  for (const line of lines) {
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    const keyword = (match[1] ?? '').toUpperCase();
    const rest = (match[2] ?? '').trim();
    if (keyword === 'FROM') {
      const [image = '', , name] = rest.split(/\s+/);
      stages.push({
        name,
        image: image.replace(/\$\{(\w+)\}/g, (_m, arg: string) => args[arg] ?? ''),
        instructions: [],
      });
    } else if (stages.length === 0 && keyword === 'ARG') {
      const [name = '', value = ''] = rest.split('=');
      args[name] = value;
    } else stages.at(-1)?.instructions.push({ keyword, args: rest });
  }
  return { args, stages };
}

/** The JSON (exec) form of CMD, ENTRYPOINT or a HEALTHCHECK's CMD. */
export const execForm = (args: string): string[] => JSON.parse(args.replace(/^.*?CMD\s+/, '')) as string[];

/** Whether .dockerignore lets `file` into the build context (later patterns win; `!` re-includes). */
export function dockerContextIncludes(dockerignore: string, file: string): boolean {
  let included = true;
  for (const raw of dockerignore.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = line.slice(negated ? 1 : 0).replace(/^\/+|\/+$/g, '');
    const source = pattern
      .split('**')
      .map((part) =>
        part
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]'),
      )
      .join('.*');
    if (new RegExp(`^${source}(/.*)?$`).test(file)) included = negated;
  }
  return included;
}

/** Every variable src/config.ts reads. */
export function configVariables(): string[] {
  return [...ENV_VARS];
}

/** The variable lines of .env.example: name, value, and whether the line is commented out. */
export function envExampleLines(): { name: string; value: string; commented: boolean }[] {
  return readRepoFile('.env.example')
    .split(/\r?\n/)
    .flatMap((line) => {
      const match = /^(#\s?)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      return match
        ? [{ name: match[2] ?? '', value: match[3] ?? '', commented: match[1] !== undefined }]
        : [];
    });
}
