import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log/logger.js';
import { logRefusal, toErrorResponse } from './errors.js';
import { PayloadTooLargeError, ValidationError } from '../errors.js';
import { announcesBody, arrivedMalformed, parseBody, readBody, restoreContentType } from './body.js';
import type { Handler, HttpRequest, HttpResponse, ResponseStream } from './handler.js';

/**
 * Express error middleware for what fails before a Handler runs (functions-framework's body
 * parser: a body that is not valid JSON, one too large): the same JSON error body as every
 * other error, instead of Express's HTML page with a stack trace.
 */
export function bodyErrorMiddleware(logger: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const r = toErrorResponse(err, logger);
    logRefusal(logger, r, req.originalUrl.split('?')[0] ?? '');
    res.status(r.status).set(r.headers).json(r.body);
  };
}

/**
 * Runs a framework-free Handler behind functions-framework (Express request/response). The
 * body is held back (./body.ts) and read only when the router asks for it, under the matched
 * route's cap, after its checks; one left unread closes the connection after the answer. A
 * Buffer body is sent as is (dashboard assets, with their own Content-Type); anything else
 * as JSON.
 */
export function toHttpFunction(handler: Handler, logger: Logger): (req: Request, res: Response) => Promise<void> {
  // JSON of stable bodies, by object: a frozen snapshot read again is not serialised again.
  const serialised = new WeakMap<object, string>();
  return async (req, res) => {
    const deferred = restoreContentType(req);
    const pending = deferred && announcesBody(req.headers);
    let read = false;
    const request: HttpRequest = {
      method: req.method,
      path: req.path,
      query: req.query as Record<string, unknown>,
      headers: req.headers,
      readBody: async (maxBytes) => {
        read = true;
        return deferred ? parseBody(await readBody(req, maxBytes), req.headers) : frameworkBody(req, maxBytes);
      },
    };
    let out: HttpResponse;
    try {
      if (arrivedMalformed(req)) throw new ValidationError('the URL is not valid: it has a malformed %-escape');
      out = await handler(request);
    } catch (err) {
      const r = toErrorResponse(err, logger);
      logRefusal(logger, r, req.path);
      out = { status: r.status, headers: r.headers, body: r.body };
    }
    // A body left unread (or read only up to its cap) is not drained: the connection closes.
    res.status(out.status).set({ ...out.headers, ...(pending && (!read || out.status === 413) ? { Connection: 'close' } : {}) });
    if (out.stream) return streamTo(req, res, out.stream, logger);
    if (out.body === undefined || out.status === 304) res.end();
    else if (Buffer.isBuffer(out.body)) res.send(out.body);
    else if (out.stableBody && typeof out.body === 'object' && out.body !== null) {
      let text = serialised.get(out.body);
      if (text === undefined) serialised.set(out.body, (text = JSON.stringify(out.body)));
      res.type('application/json').send(text);
    } else res.json(out.body);
  };
}

/** Without the deferral (a bare functions-framework server) the framework parsed the body: hold it to the cap all the same. */
function frameworkBody(req: Request & { rawBody?: Buffer }, maxBytes: number): unknown {
  if (req.rawBody && req.rawBody.length > maxBytes) throw new PayloadTooLargeError(`the request body is larger than this endpoint takes (${maxBytes} bytes at most)`, { maxBytes });
  return req.body;
}

/**
 * A streamed answer: headers out at once, each write flushed, the stream's signal aborted
 * when the connection closes. A HEAD gets the headers only (a stream has no length to give).
 */
async function streamTo(req: Request, res: Response, stream: NonNullable<HttpResponse['stream']>, logger: Logger): Promise<void> {
  res.flushHeaders();
  if (req.method.toUpperCase() === 'HEAD') return void res.end();
  res.socket?.setNoDelay(true);
  const gone = new AbortController();
  res.on('close', () => gone.abort());
  const out: ResponseStream = {
    write: (text) => {
      if (!res.writableEnded && !res.destroyed) res.write(text);
    },
    signal: gone.signal,
  };
  try {
    await stream(out);
  } catch (err) {
    // The status is sent: the fault can only be logged, and the stream ended.
    logger.error('a streamed response failed', { err, path: req.path });
  } finally {
    if (!res.writableEnded) res.end();
  }
}
