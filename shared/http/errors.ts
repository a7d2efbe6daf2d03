import { ZodError } from 'zod';
import { PitwallError, ValidationError } from '../errors.js';
import { MalformedJsonError } from './body.js';
import type { Logger } from '../log/logger.js';

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string; details?: Record<string, unknown> } };
}

const reply = (e: PitwallError): ErrorResponse => ({
  status: e.httpStatus,
  headers: e.responseHeaders(),
  body: { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } },
});

/**
 * The one place where errors become HTTP responses: a PitwallError carries its status and
 * headers; zod's and the framework's client errors become a ValidationError first. Faults of
 * the server (500) are logged, and say only "internal error" unless the error names them.
 */
export function toErrorResponse(err: unknown, logger: Logger): ErrorResponse {
  const e = asPitwallError(err);
  if (e && e.httpStatus < 500) return reply(e);
  if (e && e.httpStatus !== 500) {
    logger.warn(e.message, { code: e.code, status: e.httpStatus });
    return reply(e);
  }
  if (e?.exposeMessage) {
    logger.error(e.message, { code: e.code, ...(e.details ?? {}) });
    return reply(e);
  }
  logger.error('unhandled error', { err });
  return { status: 500, headers: {}, body: { error: { code: 'internal', message: 'internal error' } } };
}

function asPitwallError(err: unknown): PitwallError | undefined {
  if (err instanceof PitwallError) return err;
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    // The issues in one sentence; each already names its parameter, or gets it as a prefix.
    const message = issues.map((i) => (!i.path || i.message.startsWith(i.path) ? i.message : `${i.path}: ${i.message}`)).join('; ');
    return new ValidationError(message || 'invalid request', issues);
  }
  if (err instanceof SyntaxError && 'body' in err) {
    return new MalformedJsonError();
  }
  const framework = err as { status?: unknown; expose?: unknown; message?: unknown } | null;
  if (typeof framework?.status === 'number' && framework.status >= 400 && framework.status < 500) {
    // Express's and body-parser's own client errors (a malformed %-escape in the path, a body
    // too large): their status, our shape.
    const message = err instanceof URIError ? 'the URL is not valid: it has a malformed %-escape' : framework.expose === true ? String(framework.message) : 'bad request';
    return new FrameworkClientError(message, framework.status);
  }
  return undefined;
}

/** A client error Express or its body parser found before a handler ran: its status, our shape. */
class FrameworkClientError extends ValidationError {
  constructor(
    message: string,
    override readonly httpStatus: number,
  ) {
    super(message);
  }
}

/** A refused request is logged once, at info, without a stack (5xx are logged by the mapper). */
export function logRefusal(logger: Logger, r: ErrorResponse, path: string): void {
  if (r.status < 500) logger.info('request refused', { status: r.status, code: r.body.error.code, message: r.body.error.message, path });
}
