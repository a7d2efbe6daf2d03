import dc from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors.js';

/**
 * Request bodies are read by us, per route, with a cap, and only after the route's checks
 * (method, Content-Type, credentials): functions-framework would otherwise buffer and parse
 * any body up to 1 GB before our handler runs, and its limit cannot be configured. Its body
 * parsers skip a request without a Content-Type, so the header is set aside when the request
 * arrives (deferBodyParsing) and put back for the handler (restoreContentType).
 */

/** Bodies of the write functions (ingest's paths included): a few parameters at most. */
export const WRITE_BODY_MAX_BYTES = 64 * 1024;
/** POST /pits: a live race of the schema's largest size (30 drivers × 200 laps) fits in about 0.8 MB. */
export const PITS_BODY_MAX_BYTES = 1024 * 1024;

const contentType = Symbol('pitwall.contentType');
type Deferred = IncomingMessage & { [contentType]?: string | undefined };

export function deferBodyParsing(req: IncomingMessage): void {
  const r = req as Deferred;
  if (contentType in r) return;
  r[contentType] = req.headers['content-type'];
  delete req.headers['content-type'];
}

/** Puts the Content-Type back; false when the request was not deferred (the framework parsed its body). */
export function restoreContentType(req: IncomingMessage): boolean {
  const r = req as Deferred;
  if (!(contentType in r)) return false;
  const type = r[contentType];
  delete r[contentType];
  if (type !== undefined) req.headers['content-type'] = type;
  return true;
}

const malformed = Symbol('pitwall.malformedUrl');
type Arrived = IncomingMessage & { [malformed]?: true };

/**
 * A path that cannot be decoded (a stray or truncated %-escape) would fail in the framework's
 * own router, before any function runs, with Express's HTML error page: its '%' are escaped so
 * the request reaches the function, marked, and the edge refuses it with the JSON 400.
 */
function holdMalformedUrl(req: IncomingMessage): void {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (isDecodable(path)) return;
  (req as Arrived)[malformed] = true;
  req.url = path.replace(/%/g, '%25') + (q < 0 ? '' : url.slice(q));
}

/** Whether a path's %-escapes decode (none stray, truncated, or not UTF-8). */
export function isDecodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether the request arrived with a path that cannot be decoded (see holdMalformedUrl). */
export const arrivedMalformed = (req: IncomingMessage): boolean => (req as Arrived)[malformed] === true;

/** What every request goes through on arrival, before the framework sees it: the body held back, a malformed path held. */
export function onArrival(req: IncomingMessage): void {
  holdMalformedUrl(req);
  deferBodyParsing(req);
}

let installed = false;

/**
 * Defers body parsing for every request this process serves (the deployed function, whose
 * server functions-framework creates): Node publishes each request on this channel before the
 * server's listeners see it.
 */
export function installBodyDeferral(): void {
  if (installed) return;
  installed = true;
  dc.subscribe('http.server.request.start', (message) => onArrival((message as { request: IncomingMessage }).request));
}

type Headers = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Whether the request announces a body: a non-zero Content-Length, or a chunked one (size unknown). */
export function announcesBody(headers: Headers): boolean {
  const length = one(headers['content-length']);
  return one(headers['transfer-encoding']) !== undefined || (length !== undefined && length.trim() !== '0');
}

export function mediaTypeOf(headers: Headers): string {
  return String(one(headers['content-type']) ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Only JSON: a form post (urlencoded, multipart, text/plain) needs no CORS preflight, so any
 * web page could make a visitor's browser send one. A route with a body schema needs JSON; a
 * write without one takes JSON or no body at all.
 */
export function assertJson(headers: Headers, options: { orEmpty: boolean }): void {
  const type = mediaTypeOf(headers);
  if (type === 'application/json' || (options.orEmpty && type === '' && !announcesBody(headers))) return;
  const got = type ? type.slice(0, 100) : options.orEmpty ? 'a body without a Content-Type' : 'none';
  throw new UnsupportedMediaTypeError(
    options.orEmpty
      ? `this endpoint takes a JSON body or none: send Content-Type: application/json, or no body (got ${got})`
      : `this endpoint takes a JSON body: send Content-Type: application/json (got ${got})`,
  );
}

/**
 * The body, read up to `maxBytes` and abandoned past it: a Content-Length over the cap is
 * refused before a byte is read, a chunked body as soon as it passes the cap.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new PayloadTooLargeError(`the request body is larger than this endpoint takes (${maxBytes} bytes at most)`, { maxBytes });
  const length = Number(one(req.headers['content-length']));
  if (Number.isFinite(length) && length > maxBytes) throw tooLarge();
  // Events, not for-await: leaving an async iterator destroys the socket, and the 413 could
  // not be sent. Past the cap the stream is paused; the response closes the connection.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        done();
        req.pause();
        reject(tooLarge());
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks));
    };
    const onError = (err: Error) => {
      done();
      // The caller went away mid-body (closed the connection): its fault, not a server error.
      reject((err as { code?: string }).code === 'ECONNRESET' || err.message === 'aborted' ? new ValidationError('the request body ended before it was complete: the connection closed') : err);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/** A JSON body parsed; an empty one is no body; other types are handed on as bytes. */
export function parseBody(bytes: Buffer, headers: Headers): unknown {
  if (bytes.length === 0) return undefined;
  const type = mediaTypeOf(headers);
  if (type !== 'application/json' && !type.endsWith('+json')) return bytes;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new MalformedJsonError();
  }
}

/**
 * What to send instead of a body that does not parse. Most writes take no body (their
 * parameters are in the path or query); a route that declares one names where its shape is
 * documented. The router knows the route, the body parser does not.
 */
export function malformedJsonMessage(route?: { method: string; path: string }): string {
  const advice = route
    ? `send a JSON object as documented at GET /openapi.json for ${route.method.toUpperCase()} ${route.path}`
    : 'send JSON, or no body at all (the write functions take their parameters in the path or query)';
  return `the request body is not valid JSON: ${advice}`;
}

/** A JSON body that does not parse, with the advice of a route without a body (the router rewords it for one with). */
export class MalformedJsonError extends ValidationError {
  constructor(route?: { method: string; path: string }) {
    super(malformedJsonMessage(route));
  }
}
