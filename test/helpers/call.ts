import type { HttpRequest, HttpResponse } from '../../shared/http/handler.js';
import type { BoundRoute } from '../../shared/http/route.js';
import { createRouter } from '../../shared/http/router.js';
import type { AuthPolicy } from '../../shared/http/auth.js';
import { silentLogger } from '../../shared/log/logger.js';

/**
 * One function's routes under the production router, called without a server: GET / by
 * default; a request with a body and no headers is sent as JSON. Responses are checked against their
 * declared schemas, as in every suite.
 */
export function routesCaller(routes: readonly BoundRoute[], auth: AuthPolicy = { env: 'test' }) {
  const handler = createRouter(routes, { logger: silentLogger, auth, checkResponses: true });
  return (req: Partial<HttpRequest>): Promise<HttpResponse> =>
    handler({ method: 'GET', path: '/', query: {}, ...req, headers: req.headers ?? (req.body !== undefined ? { 'content-type': 'application/json' } : {}) });
}
