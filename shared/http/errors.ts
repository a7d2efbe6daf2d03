import { ZodError } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError, NotReadyError, PayloadTooLargeError, PitwallError, UnauthorizedError, UnsupportedMediaTypeError, UpstreamError, ValidationError } from '../errors.js';
import type { Logger } from '../log/logger.js';

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string; details?: Record<string, unknown> } };
}

/** The one place where errors become HTTP responses. Unknown errors are 500 and logged. */
export function toErrorResponse(err: unknown, logger: Logger): ErrorResponse {
  const reply = (status: number, e: PitwallError, headers: Record<string, string> = {}): ErrorResponse => ({
    status,
    headers,
    body: { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } },
  });
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    // The issues in one sentence; each already names its parameter, or gets it as a prefix.
    const message = issues.map((i) => (!i.path || i.message.startsWith(i.path) ? i.message : `${i.path}: ${i.message}`)).join('; ');
    return reply(400, new ValidationError(message || 'invalid request', issues));
  }
  if (err instanceof ValidationError) return reply(400, err);
  if (err instanceof UnauthorizedError) return reply(401, err, { 'WWW-Authenticate': 'Bearer' });
  if (err instanceof ForbiddenError) return reply(403, err);
  if (err instanceof NotFoundError) return reply(404, err);
  // The body was not read to its end: close the connection rather than drain it.
  if (err instanceof PayloadTooLargeError) return reply(413, err, { Connection: 'close' });
  if (err instanceof UnsupportedMediaTypeError) return reply(415, err);
  if (err instanceof ConflictError) return reply(409, err);
  if (err instanceof NotReadyError) return reply(503, err, { 'Retry-After': String(err.retryAfterSeconds) });
  if (err instanceof UpstreamError) return reply(502, err);
  if (err instanceof PitwallError && err.code === 'invalid_forecast') {
    // The model's output failed validation: a server-side fault, but say which one.
    logger.error(err.message, { code: err.code, ...(err.details ?? {}) });
    return reply(500, err);
  }
  if (err instanceof SyntaxError && 'body' in err) {
    return reply(400, new ValidationError('the request body is not valid JSON: send JSON, or no body at all (the write functions take their parameters in the path or query)'));
  }
  const framework = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof framework?.status === 'number' && framework.status >= 400 && framework.status < 500) {
    // Express's and body-parser's own client errors (a malformed %-escape in the path, a body
    // too large): their status, our shape.
    const message = err instanceof URIError ? 'the URL is not valid: it has a malformed %-escape' : framework.expose === true ? String(framework.message) : 'bad request';
    return reply(framework.status, new ValidationError(message));
  }
  logger.error('unhandled error', { err });
  return {
    status: 500,
    headers: {},
    body: { error: { code: 'internal', message: 'internal error' } },
  };
}

/** A refused request is logged once, at info, without a stack (5xx are logged by the mapper). */
export function logRefusal(logger: Logger, r: ErrorResponse, path: string): void {
  if (r.status < 500) logger.info('request refused', { status: r.status, code: r.body.error.code, message: r.body.error.message, path });
}
