import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { installBodyDeferral } from '../../shared/http/body.js';
import { z } from 'zod';
import { toHttpFunction } from '../../shared/http/express-adapter.js';
import type { HttpRequest } from '../../shared/http/handler.js';
import { bind, defineRoute } from '../../shared/http/route.js';
import { createRouter } from '../../shared/http/router.js';
import { silentLogger } from '../../shared/log/logger.js';

/**
 * The deployed path: functions-framework creates the server, so the deferral hooks Node's
 * request channel (functions/index.ts installs it). A bare framework server with it must
 * refuse a 1 GB body by the function's cap, and still hand small JSON bodies to the handler.
 */
describe('functions-framework with the body deferral installed', () => {
  let server: http.Server;
  let url: string;
  /** The requests the handler was handed during the current test (emptied before each). */
  const seen: HttpRequest[] = [];

  beforeAll(async () => {
    installBodyDeferral();
    registerHttp(
      'deferredBody',
      toHttpFunction(
        createRouter(
          [
            bind(defineRoute({ method: 'POST', path: '/', summary: 'echo', body: z.record(z.string(), z.unknown()), maxBytes: 1024, responses: {} }), async ({ req, body }) => {
              seen.push(req);
              return { status: 200, headers: {}, body: { got: body } };
            }),
          ],
          { logger: silentLogger },
        ),
        silentLogger,
      ),
    );
    server = getTestServer('deferredBody');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('refuses a body declared as 1 GB without waiting for it', async () => {
    const started = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${url}/`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': String(1024 ** 3) }, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', (err) => (started ? undefined : reject(err)));
      req.write('{"a":');
    });
    expect(status).toBe(413);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(seen).toHaveLength(0);
  });

  it('hands a small JSON body to the handler, with its Content-Type', async () => {
    const res = await fetch(`${url}/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"lap":3}' });
    expect(await res.json()).toEqual({ got: { lap: 3 } });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers['content-type']).toBe('application/json');
  });
});
