import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log/logger.js';
import { logRefusal, toErrorResponse } from './errors.js';
import type { Handler } from './handler.js';

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

/** Runs a framework-free Handler behind functions-framework (Express request/response). A Buffer body is sent as is (dashboard assets, with their own Content-Type); anything else as JSON. */
export function toHttpFunction(handler: Handler): (req: Request, res: Response) => Promise<void> {
  // JSON of stable bodies, by object: a frozen snapshot read again is not serialised again.
  const serialised = new WeakMap<object, string>();
  return async (req, res) => {
    const out = await handler({
      method: req.method,
      path: req.path,
      query: req.query as Record<string, unknown>,
      headers: req.headers,
      body: req.body,
    });
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
