import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';

/** The built-in SMTP server used when SMTP_URL is unset: it keeps every message as an .eml file. */
export interface CaptureServer {
  url: string;
  port: number;
  dir: string;
  close(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** The file a message with this Message-ID is stored in (without the directory). */
export function emlFileName(messageId: string): string {
  return `${messageId
    .replace(/[<>]/g, '')
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 160)}.eml`;
}

/** Stores `raw` under its Message-ID; a second message with the same id is kept beside it, never over it. */
async function storeMessage(dir: string, raw: Buffer): Promise<void> {
  const messageId =
    /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(raw.toString('utf8', 0, 16_384))?.[1] ??
    `<${randomBytes(8).toString('hex')}>`;
  const name = emlFileName(messageId);
  try {
    await writeFile(path.join(dir, name), raw, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    await writeFile(path.join(dir, name.replace(/\.eml$/, `.${Date.now()}.eml`)), raw);
  }
}

/** Starts the capture server on 127.0.0.1:`port` (0 picks a free one), storing messages in `dir`. */
export async function startCaptureServer(dir: string, port: number): Promise<CaptureServer> {
  mkdirSync(dir, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    size: MAX_MESSAGE_BYTES,
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        storeMessage(dir, Buffer.concat(chunks)).then(
          () => callback(),
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${actualPort}`,
    port: actualPort,
    dir,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** One stored message, newest first in listings. */
export interface CapturedFile {
  name: string;
  size: number;
  receivedAt: Date;
}

/** The .eml files in `dir`, newest first. */
export async function listCaptured(dir: string): Promise<CapturedFile[]> {
  const names = (await readdir(dir).catch(() => [])).filter((name) => name.endsWith('.eml'));
  const files = await Promise.all(
    names.map(async (name) => {
      const info = await stat(path.join(dir, name));
      return { name, size: info.size, receivedAt: info.mtime };
    }),
  );
  return files.sort(
    (a, b) => b.receivedAt.getTime() - a.receivedAt.getTime() || b.name.localeCompare(a.name),
  );
}

/** The raw message `name` from `dir`, or null for a name that is not a stored message. */
export async function readCaptured(dir: string, name: string): Promise<Buffer | null> {
  if (!/^[A-Za-z0-9._-]+\.eml$/.test(name)) return null;
  return readFile(path.join(dir, name)).catch(() => null);
}
