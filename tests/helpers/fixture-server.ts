import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server saw. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  at: number;
}

/** A route: answers one request; `n` counts the requests this route has seen (from 1). */
export type Handler = (req: SeenRequest, res: ServerResponse, n: number) => unknown;

/**
 * A real HTTP server on 127.0.0.1 that plays recorded responses, so the real client code runs
 * unchanged against it. Routes are matched by path; unknown paths are 404.
 */
export class FixtureServer {
  readonly requests: SeenRequest[] = [];
  private readonly routes = new Map<string, Handler>();
  private readonly counts = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<FixtureServer> {
    let self: FixtureServer | undefined;
    const server = createServer((req, res) => {
      void self?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    self = new FixtureServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return self;
  }

  /** Answers `path` with `handler` from now on (replacing any earlier one) and resets its count. */
  route(path: string, handler: Handler): void {
    this.routes.set(path, handler);
    this.counts.set(path, 0);
  }

  /** Requests made to `path`. */
  seen(path: string): SeenRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const seen: SeenRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      at: Date.now(),
    };
    this.requests.push(seen);
    const handler = this.routes.get(url.pathname);
    if (!handler) {
      res.writeHead(404).end('not found');
      return;
    }
    const n = (this.counts.get(url.pathname) ?? 0) + 1;
    this.counts.set(url.pathname, n);
    await handler(seen, res, n);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Sends `body` with `type`, and an ETag when given (answering 304 to a matching If-None-Match). */
export function send(res: ServerResponse, req: SeenRequest, body: string, type: string, etag?: string): void {
  if (etag && req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag }).end();
    return;
  }
  res.writeHead(200, { 'content-type': type, ...(etag ? { etag } : {}) }).end(body);
}
