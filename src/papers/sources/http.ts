import { setTimeout as sleep } from 'node:timers/promises';

/** How politely and patiently to fetch. */
export interface FetchPolicy {
  userAgent: string;
  timeoutMs: number;
  /** Attempts after the first, on network errors, timeouts, 429 and 5xx. */
  retries: number;
  baseDelayMs: number;
  /** No wait, whether computed or asked for by Retry-After, is longer than this. */
  maxDelayMs: number;
  maxBytes: number;
  /** Least time between the starts of two requests to one host (arXiv asks for 3 s). */
  minIntervalMs: (host: string) => number;
}

/** Remembers validators (ETag, Last-Modified) per URL for conditional requests. */
export interface ValidatorStore {
  get(url: string): Promise<{ etag: string | null; lastModified: string | null } | null>;
  set(url: string, validators: { etag: string | null; lastModified: string | null }): Promise<void>;
}

/** A fetched body, or word that it has not changed since the validators were remembered. */
export type FetchResult =
  | { notModified: false; body: string; contentType: string; remember: () => Promise<void> }
  | { notModified: true };

/** A fetch that failed for good, with a message that names the URL's host and what went wrong. */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'FetchError';
  }
}

/** GETs with timeouts, retries (exponential backoff, full jitter, Retry-After), per-host spacing and conditional requests. */
export interface HttpClient {
  get(url: string, options: { accept: string; expect: RegExp; conditional?: boolean }): Promise<FetchResult>;
}

/** Seconds or an HTTP date, as milliseconds from `now`; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const RETRYABLE = (status: number) => status === 429 || status >= 500;

/** Creates a client; one per process, so per-host spacing holds across sources. */
export function createHttpClient(policy: FetchPolicy, validators?: ValidatorStore): HttpClient {
  const queues = new Map<string, Promise<unknown>>();
  const lastStart = new Map<string, number>();

  /** One request at a time per host, spaced by minIntervalMs. */
  const throttled = <T>(host: string, run: () => Promise<T>): Promise<T> => {
    const previous = queues.get(host) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(async () => {
        const wait = (lastStart.get(host) ?? 0) + policy.minIntervalMs(host) - Date.now();
        if (wait > 0) await sleep(wait);
        lastStart.set(host, Date.now());
        return run();
      });
    queues.set(host, next);
    return next;
  };

  async function attempt(url: URL, headers: Record<string, string>): Promise<Response> {
    return throttled(url.host, () =>
      fetch(url, { headers, signal: AbortSignal.timeout(policy.timeoutMs), redirect: 'follow' }),
    );
  }

  async function readBody(response: Response, host: string): Promise<string> {
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > policy.maxBytes)
      throw new FetchError(`${host}: response of ${declared} bytes is over the limit`);
    const reader = response.body?.getReader();
    if (!reader) return '';
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > policy.maxBytes) {
        await reader.cancel();
        throw new FetchError(`${host}: response is over the ${policy.maxBytes}-byte limit`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  return {
    async get(rawUrl, options) {
      const url = new URL(rawUrl);
      const headers: Record<string, string> = { 'user-agent': policy.userAgent, accept: options.accept };
      const known = options.conditional ? await validators?.get(rawUrl) : null;
      if (known?.etag) headers['if-none-match'] = known.etag;
      if (known?.lastModified) headers['if-modified-since'] = known.lastModified;
      let lastProblem = '';
      for (let tryNumber = 0; tryNumber <= policy.retries; tryNumber++) {
        let response: Response;
        try {
          response = await attempt(url, headers);
        } catch (error) {
          lastProblem =
            error instanceof Error && error.name === 'TimeoutError'
              ? `timed out after ${policy.timeoutMs} ms`
              : 'network error';
          if (tryNumber < policy.retries) await sleep(backoff(tryNumber, null));
          continue;
        }
        if (response.status === 304 && known) return { notModified: true };
        if (RETRYABLE(response.status)) {
          lastProblem = `HTTP ${response.status}`;
          await response.body?.cancel();
          if (tryNumber < policy.retries)
            await sleep(backoff(tryNumber, retryAfterMs(response.headers.get('retry-after'))));
          continue;
        }
        if (!response.ok) {
          await response.body?.cancel();
          throw new FetchError(`${url.host}: HTTP ${response.status}`, response.status);
        }
        const contentType = response.headers.get('content-type') ?? '';
        if (!options.expect.test(contentType)) {
          await response.body?.cancel();
          throw new FetchError(`${url.host}: unexpected content type "${contentType || 'none'}"`);
        }
        let body: string;
        try {
          body = await readBody(response, url.host);
        } catch (error) {
          if (error instanceof FetchError) throw error;
          lastProblem = 'connection dropped mid-body';
          if (tryNumber < policy.retries) await sleep(backoff(tryNumber, null));
          continue;
        }
        const etag = response.headers.get('etag');
        const lastModified = response.headers.get('last-modified');
        const remember = async () => {
          if (options.conditional && validators && (etag || lastModified))
            await validators.set(rawUrl, { etag, lastModified });
        };
        return { notModified: false, body, contentType, remember };
      }
      throw new FetchError(`${url.host}: ${lastProblem} (gave up after ${policy.retries + 1} attempts)`);
    },
  };

  function backoff(tryNumber: number, asked: number | null): number {
    // Full jitter: a random wait up to the exponential bound, so many clients do not retry in step.
    const computed = Math.random() * policy.baseDelayMs * 2 ** tryNumber;
    return Math.min(policy.maxDelayMs, asked ?? computed);
  }
}
