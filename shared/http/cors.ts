import { ForbiddenError } from '../errors.js';
import { header, type Handler, type HttpResponse } from './handler.js';

/**
 * CORS for the read API (ALLOWED_ORIGINS): a page on an allowed origin may read its answers
 * and send the conditional headers a cache needs; no credentials are ever allowed. A request
 * from any other origin is served as before, without CORS headers, so the browser keeps the
 * answer from the page; a preflight from one is refused (403). Requests without `Origin`
 * (same-origin pages, clients that are not browsers) are served as before. A plain OPTIONS,
 * without Access-Control-Request-Method, is not a preflight: the handler answers it (405).
 *
 * Wrap it around the function's withErrors handler, so its error answers (404, 503 with
 * Retry-After) reach the page too, and inside a withErrors that maps the refusal it throws.
 */

/** The read API is read-only. */
const ALLOW_METHODS = 'GET, HEAD';
/** Request headers a page may send beyond the CORS-safelisted ones: conditional GETs. */
const SAFE_REQUEST_HEADERS = new Set(['accept', 'accept-language', 'content-language', 'content-type', 'if-none-match', 'if-modified-since']);
/** Response headers a page may read beyond the safelisted ones (Cache-Control, Content-Type...). */
const EXPOSE_HEADERS = 'ETag, Retry-After, Location, Allow';
/** How long a browser may reuse a preflight's answer (seconds; Chromium caps it at 7200). */
const MAX_AGE_SECONDS = '600';

export function withCors(allowedOrigins: readonly string[], handler: Handler): Handler {
  if (allowedOrigins.length === 0) return handler;
  const anyOrigin = allowedOrigins.includes('*');
  const allowed = new Set(allowedOrigins);
  return async (req) => {
    const origin = header(req, 'origin');
    if (origin === undefined) return varyOnOrigin(await handler(req), anyOrigin);
    const isAllowed = anyOrigin || allowed.has(origin);
    const preflight = req.method.toUpperCase() === 'OPTIONS' && header(req, 'access-control-request-method') !== undefined;
    if (preflight) {
      if (!isAllowed) {
        throw new ForbiddenError(`origin ${origin} may not call this API from a browser: add it to ALLOWED_ORIGINS (comma-separated origins, or *)`);
      }
      const requested = (header(req, 'access-control-request-headers') ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter((h) => SAFE_REQUEST_HEADERS.has(h));
      return withOrigin(
        {
          status: 204,
          headers: {
            'Access-Control-Allow-Methods': ALLOW_METHODS,
            ...(requested.length ? { 'Access-Control-Allow-Headers': [...new Set(requested)].join(', ') } : {}),
            'Access-Control-Max-Age': MAX_AGE_SECONDS,
          },
        },
        origin,
        anyOrigin,
      );
    }
    const res = await handler(req);
    return isAllowed ? withOrigin({ ...res, headers: { ...res.headers, 'Access-Control-Expose-Headers': EXPOSE_HEADERS } }, origin, anyOrigin) : varyOnOrigin(res, anyOrigin);
  };
}

/** The answer names the origin it allows (or *, when any may read it, for caches to share). */
function withOrigin(res: HttpResponse, origin: string, anyOrigin: boolean): HttpResponse {
  const out = varyOnOrigin(res, anyOrigin);
  return { ...out, headers: { ...out.headers, 'Access-Control-Allow-Origin': anyOrigin ? '*' : origin } };
}

/**
 * With a list of origins the answer depends on `Origin`: a shared cache must not hand one
 * origin's answer (with or without its Allow-Origin) to another.
 */
function varyOnOrigin(res: HttpResponse, anyOrigin: boolean): HttpResponse {
  if (anyOrigin) return res;
  const key = Object.keys(res.headers).find((k) => k.toLowerCase() === 'vary');
  const existing = key ? res.headers[key]! : '';
  const headers = { ...res.headers };
  if (key) delete headers[key];
  const values = existing.split(',').map((v) => v.trim()).filter(Boolean);
  if (values.includes('*') || values.some((v) => v.toLowerCase() === 'origin')) headers.Vary = values.join(', ');
  else headers.Vary = [...values, 'Origin'].join(', ');
  return { ...res, headers };
}
