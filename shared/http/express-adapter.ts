import type { Request, Response } from 'express';
import type { Handler } from './handler.js';

/** Runs a framework-free Handler behind functions-framework (Express request/response). A Buffer body is sent as is (dashboard assets, with their own Content-Type); anything else as JSON. */
export function toHttpFunction(handler: Handler): (req: Request, res: Response) => Promise<void> {
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
    else res.json(out.body);
  };
}
