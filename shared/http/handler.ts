import { createHash } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { logRefusal, toErrorResponse } from './errors.js';

/**
 * Framework-free request/response shapes: every function's logic is a plain async
 * `Handler`, testable without a server; the functions-framework adapter and the dev
 * server are thin edges over it.
 */
export interface HttpRequest {
  method: string;
  /** Path without the query string, e.g. /predictions/42. */
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  /**
   * Reads the body the edge held back, up to `maxBytes` (413 past it), parsed as JSON; the
   * router calls it only once a route has matched and its checks passed. Tests pass `body`.
   */
  readBody?: (maxBytes: number) => Promise<unknown>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  /**
   * This body object never changes (a frozen snapshot's presentation, kept per instance):
   * the edge may serialise it once and reuse the JSON.
   */
  stableBody?: boolean;
  /**
   * A streamed answer (Server-Sent Events): the edge sends the status and headers, then runs
   * this until it returns or the client goes (`signal`), and ends the response. Errors before
   * it starts are mapped as any other; once streaming, the status is already sent.
   */
  stream?: (out: ResponseStream) => Promise<void>;
}

/** Where a streamed answer writes. */
export interface ResponseStream {
  /** Sends the text now (no buffering); ignored once the client is gone. */
  write(text: string): void;
  /** Aborted when the client disconnects (or the edge shuts down). */
  signal: AbortSignal;
}

export type Handler = (req: HttpRequest) => Promise<HttpResponse>;

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body });

/** Wraps a handler so every error becomes the one mapped HTTP response (shared/http/errors.ts). */
export function withErrors(logger: Logger, handler: Handler): Handler {
  return async (req) => {
    try {
      return await handler(req);
    } catch (err) {
      const r = toErrorResponse(err, logger);
      logRefusal(logger, r, req.path);
      return { status: r.status, headers: r.headers, body: r.body };
    }
  };
}

export function header(req: HttpRequest, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** A strong ETag over a stable identity (e.g. a frozen snapshot's id and inputs hash). */
export function etagOf(identity: string): string {
  return `"${createHash('sha256').update(identity).digest('base64url').slice(0, 27)}"`;
}

/**
 * A cacheable response: ETag + Cache-Control, and 304 when If-None-Match already names
 * the ETag (the body is not sent again). The ETag names a stable identity, so the body is
 * stable too.
 */
export function cacheable(req: HttpRequest, body: unknown, etag: string, cacheControl: string): HttpResponse {
  const headers = { ETag: etag, 'Cache-Control': cacheControl };
  const ifNoneMatch = header(req, 'if-none-match');
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    return { status: 304, headers };
  }
  return { status: 200, headers, body, stableBody: true };
}

export const methodNotAllowed = (allow: string[]): HttpResponse =>
  json(405, { error: { code: 'method_not_allowed', message: `use ${allow.join(' or ')}` } }, { Allow: allow.join(', ') });
