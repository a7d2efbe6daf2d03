import FindMyWay from 'find-my-way';
import type { Logger } from '../log/logger.js';
import { NotFoundError, PitwallError, ValidationError } from '../errors.js';
import { assertWriteAllowed, type AuthPolicy } from './auth.js';
import { assertJson, isDecodable, MalformedJsonError, WRITE_BODY_MAX_BYTES } from './body.js';
import { logRefusal, toErrorResponse } from './errors.js';
import { methodNotAllowed, type Handler, type HttpRequest, type HttpResponse } from './handler.js';
import type { BoundRoute, RouteSpec } from './route.js';

export interface RouterOptions {
  /** The function these routes are, named in a "no such route" answer (it sees only the path after its mount). */
  name?: string;
  logger: Logger;
  /** Who may call the write routes; required when a route is a write. */
  auth?: AuthPolicy;
  /** Parse every answer with its declared schema, and answer 500 when it does not match (tests). */
  checkResponses?: boolean;
}

/** A route's path template as find-my-way matches it: /predictions/{raceId} → /predictions/:raceId. */
const matcherPath = (template: string) => template.replace(/\{([^}]+)\}/g, ':$1');

/**
 * One function's routes over find-my-way: the method and path pick the route (HEAD is served
 * by GET; 405 with Allow when the path exists under another method), then the checks that
 * need no body (a write's media type and caller; the route's admission), then its
 * parameters, query and body are parsed with the route's schemas, and the handler runs.
 * Every error becomes the one mapped response (shared/http/errors.ts).
 */
export function createRouter(routes: readonly BoundRoute[], options: RouterOptions): Handler {
  const matcher = FindMyWay({ ignoreTrailingSlash: true, maxParamLength: 1000 });
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.spec.write && !options.auth) throw new Error(`${route.spec.method} ${route.spec.path} is a write: the router needs an auth policy`);
    // '/' as a mount's own path: the function's root (POST /predict?year=…) also matches ''.
    matcher.on(route.spec.method, matcherPath(route.spec.path), () => route);
    methods.add(route.spec.method);
  }
  const find = (method: string, path: string) => matcher.find(method as 'GET', path || '/');

  const handle = async (req: HttpRequest): Promise<HttpResponse> => {
    if (!isDecodable(req.path)) throw new ValidationError('the URL is not valid: it has a malformed %-escape');
    const method = req.method.toUpperCase() === 'HEAD' ? 'GET' : req.method.toUpperCase();
    const found = find(method, req.path);
    if (!found) {
      const allow = [...methods].filter((m) => m !== method && find(m, req.path));
      if (allow.length) return methodNotAllowed(allow.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])));
      const where = options.name ? ` of the ${options.name} function` : '';
      throw new NotFoundError('route', `${req.method.toUpperCase()} ${req.path.slice(0, 200)}${where}`, 'the routes are listed by GET /openapi.json');
    }
    const route = (found.handler as () => BoundRoute)();
    const { spec } = route;
    // The caller first (an unauthenticated caller learns nothing of the route), then the body's type.
    if (spec.write) await assertWriteAllowed(options.auth!, req.headers);
    if (spec.body || spec.write) assertJson(req.headers, { orEmpty: !spec.body });
    route.admit?.();
    const params = spec.params ? spec.params.parse({ ...found.params }) : undefined;
    const query = spec.query ? spec.query.parse(req.query) : undefined;
    const cap = maxBytesOf(spec);
    const raw = cap > 0 ? (req.body !== undefined ? req.body : await readBodyOf(req, spec, cap)) : undefined;
    const body = spec.body ? spec.body.parse(raw ?? {}) : undefined;
    const out = await route.handle({ req, params, query, body } as Parameters<BoundRoute['handle']>[0]);
    if (options.checkResponses) checkResponse(spec, out);
    return out;
  };

  return async (req) => {
    try {
      return await handle(req);
    } catch (err) {
      const r = toErrorResponse(err, options.logger);
      logRefusal(options.logger, r, req.path);
      return { status: r.status, headers: r.headers, body: r.body };
    }
  };
}

/** The route's body as read; one that is not JSON is answered with what this route takes. */
async function readBodyOf(req: HttpRequest, spec: RouteSpec, cap: number): Promise<unknown> {
  try {
    return await req.readBody?.(cap);
  } catch (err) {
    if (err instanceof MalformedJsonError && spec.body) throw new MalformedJsonError(spec);
    throw err;
  }
}

/** How much body a route reads: its own cap, else a write's or a JSON body's default, else none. */
const maxBytesOf = (spec: RouteSpec): number => spec.maxBytes ?? (spec.body || spec.write ? WRITE_BODY_MAX_BYTES : 0);

/** A response that breaks its route's contract, found with response checks on (a 500 that says how). */
export class ResponseContractError extends PitwallError {
  override readonly exposeMessage = true;
  constructor(message: string) {
    super(message, 'contract_violation');
  }
}

function checkResponse(spec: RouteSpec, out: HttpResponse): void {
  if (out.status === 304 || spec.hidden) return;
  const declared = spec.responses[out.status];
  const where = `${spec.method} ${spec.path} answered ${out.status}`;
  if (!declared) throw new ResponseContractError(`${where}, a status its declaration does not list (${Object.keys(spec.responses).join(', ')})`);
  if (!declared.schema || Buffer.isBuffer(out.body) || out.stream) return;
  const parsed = declared.schema.safeParse(out.body);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw new ResponseContractError(`${where} with a body that does not match its schema: ${issues.join('; ')}`);
  }
}
