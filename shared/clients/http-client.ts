import { UpstreamDeadlineError, UpstreamError, UpstreamTooLargeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../clock.js';
import { Pacer, type BucketSpec } from './pacer.js';
import type { RequestLedger } from './request-ledger.js';
import type { ResponseCache } from './response-cache.js';

/**
 * GET-JSON client shared by the API clients: per-host pacing (token buckets), retries with
 * exponential backoff and full jitter on 429, 5xx and network errors (Retry-After wins
 * when the server sends it), a cap on attempts ending in UpstreamError, validation of
 * every body by the caller's parser, and an optional on-disk cache of validated bodies.
 * The upstream cannot hold or flood the caller: each attempt has a timeout, a call may carry
 * a deadline that no wait (pacing, backoff, Retry-After) may pass, and a body is read as a
 * stream and abandoned past a size cap.
 */

export interface HttpClientOptions {
  /** Token buckets applied per host. */
  limits: readonly BucketSpec[];
  cache?: ResponseCache;
  /** Send times kept on disk, so the pacing budget carries over between processes. */
  ledger?: RequestLedger;
  clock?: Clock;
  /** Total attempts per request, including the first (default 5). */
  maxAttempts?: number;
  /** First backoff step in ms (default 500); doubles per attempt. */
  baseDelayMs?: number;
  /** Longest single wait in ms, backoff or Retry-After (default 60 s). */
  maxDelayMs?: number;
  /** Per-attempt timeout in ms, headers and body (default 30 s). */
  timeoutMs?: number;
  /** Largest body read, in bytes (default 20 MiB); a longer one is abandoned, not buffered. */
  maxBodyBytes?: number;
  /** [0, 1) random source for jitter (default Math.random). */
  random?: () => number;
  fetch?: typeof fetch;
  logger?: Logger;
  userAgent?: string;
}

export interface GetOptions<T> {
  /** Whether a validated body may be cached (e.g. not an empty "not published yet" page). */
  cacheable?: (value: T) => boolean;
  /** Skip the cache for this request (read and write). */
  noCache?: boolean;
  /** Use a cached body only up to this age (default: any age; for data that is settled). */
  maxAgeMs?: number;
  /** Instant (the client's clock, ms) after which the call fails rather than wait or send again. */
  deadlineAt?: number;
  /** Extra request headers (e.g. Authorization); not part of the cache key. */
  headers?: Record<string, string>;
}

export interface HttpClient {
  /** GETs `url`, parses the JSON body with `parse` (which throws on a malformed body). */
  getJson<T>(url: string, parse: (body: unknown) => T, options?: GetOptions<T>): Promise<T>;
  /** Requests actually sent over the network (cache hits excluded). */
  readonly requestsSent: number;
}

const retryableStatus = (status: number) => status === 429 || status === 408 || status >= 500;

/** Retry-After is either delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Default body cap: the largest Jolpica page (100 laps' timings) is well under 1 MB. */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;

/** Reads a body up to `maxBytes`; past that the stream is cancelled (the connection dropped). */
async function readCapped(response: Response, maxBytes: number, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  const tooLarge = (what: string) =>
    new UpstreamTooLargeError(`${url} sent a body of ${what}, more than the ${maxBytes} bytes allowed (UPSTREAM_MAX_BODY_BYTES)`, { url, maxBytes });
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(`${declared} bytes`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(`over ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const clock = options.clock ?? systemClock;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelay = options.baseDelayMs ?? 500;
  const maxDelay = options.maxDelayMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const random = options.random ?? Math.random;
  const doFetch = options.fetch ?? globalThis.fetch;
  const pacers = new Map<string, Promise<Pacer>>();
  let sent = 0;
  /** The longest bucket window: older sends no longer matter. */
  const windowMs = Math.max(...options.limits.map((l) => (l.capacity / l.perSecond) * 1000), 0);

  const pacerFor = (host: string): Promise<Pacer> => {
    let p = pacers.get(host);
    if (!p) {
      const history = options.ledger ? options.ledger.since(host, clock.now().getTime() - windowMs) : Promise.resolve([]);
      pacers.set(host, (p = history.then((h) => new Pacer(options.limits, clock, h))));
    }
    return p;
  };

  const backoff = (attempt: number) => Math.min(maxDelay, random() * baseDelay * 2 ** (attempt - 1));

  async function fetchBody(url: string, deadlineAt?: number, extraHeaders: Record<string, string> = {}): Promise<unknown> {
    const host = new URL(url).host;
    let lastProblem = '';
    let lastStatus: number | undefined;
    const pastDeadline = (attempts: number, doing: string) =>
      new UpstreamDeadlineError(`${url}: the deadline passed ${doing} after ${attempts} attempt${attempts === 1 ? '' : 's'}${lastProblem ? ` (last: ${lastProblem})` : ''}`, { url, attempts });
    /** Sleeps before the next attempt, unless that would pass the deadline. */
    const pause = async (attempt: number, wait: number) => {
      if (deadlineAt !== undefined && clock.now().getTime() + wait >= deadlineAt) throw pastDeadline(attempt, `before a retry in ${Math.ceil(wait / 1000)} s`);
      await clock.sleep(wait);
    };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      await (await pacerFor(host)).acquire(deadlineAt);
      const left = deadlineAt === undefined ? Number.POSITIVE_INFINITY : deadlineAt - clock.now().getTime();
      if (left <= 0) throw pastDeadline(attempt - 1, 'before the request');
      const attemptTimeout = Math.min(timeoutMs, left);
      sent++;
      await options.ledger?.record(host, clock.now().getTime());
      let response: Response;
      let text: string;
      try {
        response = await doFetch(url, {
          headers: { accept: 'application/json', ...(options.userAgent ? { 'user-agent': options.userAgent } : {}), ...extraHeaders },
          signal: AbortSignal.timeout(attemptTimeout),
        });
        // Reading the body is part of the exchange: a connection lost mid-body is retried too.
        text = await readCapped(response, maxBodyBytes, url);
      } catch (err) {
        if (err instanceof UpstreamTooLargeError) throw err;
        const timedOut = err instanceof Error && err.name === 'TimeoutError';
        // Cut short by the deadline: the previous answer says more about the upstream than this.
        if (timedOut && attemptTimeout < timeoutMs) throw pastDeadline(attempt, 'during the request');
        lastProblem = timedOut ? `no complete answer within ${attemptTimeout} ms` : `network error: ${err instanceof Error ? err.message : String(err)}`;
        lastStatus = undefined;
        if (attempt < maxAttempts) {
          const wait = backoff(attempt);
          options.logger?.warn('http request failed; retrying', { url, attempt, waitMs: wait, error: lastProblem });
          await pause(attempt, wait);
        }
        continue;
      }
      if (response.ok) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new UpstreamError(`malformed response from ${url}: body is not JSON (${text.slice(0, 80)})`, response.status, { url });
        }
      }
      const detail = text.slice(0, 200);
      lastStatus = response.status;
      lastProblem = `HTTP ${response.status}${detail ? `: ${detail}` : ''}`;
      if (!retryableStatus(response.status)) {
        throw new UpstreamError(`${url} answered ${lastProblem}`, response.status, { url, attempts: attempt });
      }
      if (attempt < maxAttempts) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'), clock.now().getTime());
        if (retryAfter !== undefined && retryAfter > maxDelay) {
          throw new UpstreamError(`${url} answered HTTP ${response.status} with Retry-After ${Math.ceil(retryAfter / 1000)} s, longer than the ${maxDelay / 1000} s allowed`, response.status, { url, retryAfterMs: retryAfter });
        }
        const wait = retryAfter ?? backoff(attempt);
        options.logger?.warn('http request rejected; retrying', { url, attempt, status: response.status, waitMs: wait });
        await pause(attempt, wait);
      }
    }
    throw new UpstreamError(`${url} failed after ${maxAttempts} attempts: ${lastProblem}`, lastStatus, { url, attempts: maxAttempts });
  }

  const validate = <T>(url: string, body: unknown, parse: (body: unknown) => T): T => {
    try {
      return parse(body);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new UpstreamError(`malformed response from ${url}: ${message}`, undefined, { url });
    }
  };

  return {
    get requestsSent() {
      return sent;
    },
    async getJson(url, parse, opts = {}) {
      const cache = opts.noCache ? undefined : options.cache;
      const cached = await cache?.get(url, opts.maxAgeMs);
      if (cached !== undefined) {
        try {
          return parse(cached);
        } catch {
          options.logger?.warn('cached body no longer valid; refetching', { url });
          await cache?.delete(url);
        }
      }
      const raw = await fetchBody(url, opts.deadlineAt, opts.headers);
      const value = validate(url, raw, parse);
      if (cache && (opts.cacheable?.(value) ?? true)) {
        // The raw body is cached (not the parsed value), so a hit goes through the same parser.
        await cache.set(url, raw).catch((err: unknown) => options.logger?.warn('http cache write failed', { url, err }));
      }
      return value;
    },
  };
}
