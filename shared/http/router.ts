import { methodNotAllowed, notFoundRoute, type Handler, type HttpRequest, type HttpResponse } from './handler.js';

export type RouteHandler = (req: HttpRequest, params: Record<string, string>) => Promise<HttpResponse>;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: RouteHandler;
}

/**
 * A tiny path router: '/predictions/:raceId' patterns, exact segments, method matching
 * (405 with Allow when the path exists under another method, 404 otherwise). Static
 * segments win over parameters because routes match in registration order.
 */
export class Router {
  private readonly routes: Route[] = [];

  on(method: string, path: string, handler: RouteHandler): this {
    const keys: string[] = [];
    const source = path
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          keys.push(seg.slice(1));
          return '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method: method.toUpperCase(), pattern: new RegExp(`^${source}/?$`), keys, handler });
    return this;
  }

  get(path: string, handler: RouteHandler): this {
    return this.on('GET', path, handler);
  }

  post(path: string, handler: RouteHandler): this {
    return this.on('POST', path, handler);
  }

  handler(): Handler {
    return async (req) => {
      const allowed: string[] = [];
      for (const route of this.routes) {
        const m = route.pattern.exec(req.path);
        if (!m) continue;
        if (route.method !== req.method.toUpperCase() && !(route.method === 'GET' && req.method.toUpperCase() === 'HEAD')) {
          allowed.push(route.method);
          continue;
        }
        const params: Record<string, string> = {};
        route.keys.forEach((k, i) => {
          params[k] = safeDecode(m[i + 1]!);
        });
        return route.handler(req, params);
      }
      // A GET route serves HEAD too.
      return allowed.length ? methodNotAllowed([...new Set(allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))]) : notFoundRoute(req.path);
    };
  }
}

/** A malformed %-escape is a client error, not a crash: keep the raw segment (zod rejects it). */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
