import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { RouteSpec } from '../http/route.js';

/** One function's routes under its mount (the path the one-port server and the document use). */
export interface MountedRoutes {
  mount: string;
  routes: readonly RouteSpec[];
}

/** Every public route with its full path: the mount and the route's own path. */
export function documentedOperations(functions: readonly MountedRoutes[]): RouteSpec[] {
  return functions.flatMap(({ mount, routes }) =>
    routes.filter((r) => !r.hidden).map((r) => ({ ...r, path: mount === '/' ? r.path : r.path === '/' ? mount : `${mount}${r.path}` })),
  );
}

/** The OpenAPI 3.1 document, generated from the route declarations the routers parse with. */
export function buildOpenApiDocument(info: { version: string; serverUrl?: string }, functions: readonly MountedRoutes[]): unknown {
  const registry = new OpenAPIRegistry();
  for (const op of documentedOperations(functions)) {
    registry.registerPath({
      method: op.method.toLowerCase() as 'get' | 'post',
      path: op.path,
      summary: op.summary,
      request: {
        ...(op.params ? { params: op.params } : {}),
        ...(op.query ? { query: op.query } : {}),
        ...(op.headers ? { headers: op.headers } : {}),
        ...(op.body ? { body: { content: { 'application/json': { schema: op.body } } } } : {}),
      },
      responses: Object.fromEntries(Object.entries(op.responses).map(([status, r]) => [status, { description: r.description, ...(r.schema ? { content: { [r.mediaType ?? 'application/json']: { schema: r.schema } } } : {}) }])),
      ...(op.write ? { security: [{ apiKey: [] }, { identityToken: [] }] } : {}),
    });
  }
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'X-API-Key' });
  registry.registerComponent('securitySchemes', 'identityToken', { type: 'http', scheme: 'bearer', bearerFormat: 'Google-signed OIDC identity token' });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'pitwall', version: info.version, description:
        'Frozen F1 race forecasts, official results and their honest scores. Paths are as one server (npm start) serves every function; deployed, each function answers at FUNCTIONS_BASE_URL/<function> with the part of the path after its mount (POST /results/sync/2024/5 is POST <base>/sync-results/2024/5).',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
  });
}
