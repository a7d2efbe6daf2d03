import type { Request, Response } from 'express';
import type { Handler } from './handler.js';

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
