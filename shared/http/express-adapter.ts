import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log/logger.js';
import { logRefusal, toErrorResponse } from './errors.js';
import { PayloadTooLargeError } from '../errors.js';
import { announcesBody, parseBody, readBody, restoreContentType } from './body.js';
import type { Handler, HttpRequest, HttpResponse } from './handler.js';

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

export interface BodyPolicy {
  /** The largest body this function reads; 0: it takes none, and a body sent is never read. */
  maxBytes: number;
  /** Checks that need no body (method, Content-Type, credentials), run before it is read; a response refuses. */
  preflight?: (req: HttpRequest) => Promise<HttpResponse | undefined>;
}

/** Read-only functions: no body is read. */
export const NO_BODY: BodyPolicy = { maxBytes: 0 };

/**
 * Runs a framework-free Handler behind functions-framework (Express request/response). The
 * body is read here, under the function's cap and after its preflight (see ./body.ts). A
 * Buffer body is sent as is (dashboard assets, with their own Content-Type); anything else
 * as JSON.
 */
export function toHttpFunction(handler: Handler, body: BodyPolicy = NO_BODY, logger?: Logger): (req: Request, res: Response) => Promise<void> {
  // JSON of stable bodies, by object: a frozen snapshot read again is not serialised again.
  const serialised = new WeakMap<object, string>();
  const refuse = (res: Response, out: HttpResponse, unread: boolean) => {
    // A body left unread is not drained: the connection closes after the answer.
    res.status(out.status).set({ ...out.headers, ...(unread ? { Connection: 'close' } : {}) }).json(out.body);
  };
  return async (req, res) => {
    const deferred = restoreContentType(req);
    const pending = deferred && announcesBody(req.headers);
    const request: HttpRequest = { method: req.method, path: req.path, query: req.query as Record<string, unknown>, headers: req.headers };
    let read = false;
    try {
      const refused = body.preflight ? await body.preflight(request) : undefined;
      if (refused) return refuse(res, refused, pending);
      if (body.maxBytes > 0) {
        const bytes = deferred ? await readBody(req, body.maxBytes) : undefined;
        read = true;
        request.body = bytes ? parseBody(bytes, req.headers) : frameworkBody(req, body.maxBytes);
      }
    } catch (err) {
      const log = logger ?? silent;
      const r = toErrorResponse(err, log);
      logRefusal(log, r, req.path);
      return refuse(res, { status: r.status, headers: r.headers, body: r.body }, pending && !read);
    }
    if (body.maxBytes === 0 && pending) res.set('Connection', 'close');
    const out = await handler(request);
    res.status(out.status).set(out.headers);
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

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent, pretty: false };
