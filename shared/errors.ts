/**
 * Typed errors. Domain code throws these; one place per edge (the HTTP error mapper, the
 * CLI) turns them into a status code or an exit code.
 */

export interface Issue {
  path: string;
  message: string;
}

export class PitwallError extends Error {
  /** The HTTP status an edge answers with; 500 for faults of the server itself. */
  readonly httpStatus: number = 500;
  /** A 500 says only "internal error" unless its message names the fault for the caller. */
  readonly exposeMessage: boolean = false;
  constructor(
    message: string,
    readonly code: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Headers the answer carries beside the status (WWW-Authenticate, Retry-After, ...). */
  responseHeaders(): Record<string, string> {
    return {};
  }
}

/** The shape the plain HTTP errors share: a status, a code, fixed headers, a message and details. */
function httpError(status: number, code: string, headers: Record<string, string> = {}) {
  return class extends PitwallError {
    override readonly httpStatus: number = status;
    constructor(message: string, details?: Record<string, unknown>) {
      super(message, code, details);
    }
    override responseHeaders(): Record<string, string> {
      return { ...headers };
    }
  };
}

/** Input that cannot be accepted (400). */
export class ValidationError extends PitwallError {
  override readonly httpStatus: number = 400;
  constructor(
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message, 'invalid_request', { issues });
  }
}

/** A thing that does not exist (404). */
export class NotFoundError extends PitwallError {
  override readonly httpStatus: number = 404;
  /** `hint` says what to do instead (which ids exist, what fills it). */
  constructor(what: string, id: string | number, hint?: string) {
    super(`${what} ${id} not found${hint ? `: ${hint}` : ''}`, 'not_found', { what, id });
  }
}

/** The request is valid but the state forbids it now (409), e.g. freezing before qualifying. */
export class ConflictError extends httpError(409, 'conflict') {}

/** Missing or wrong credentials (401). */
export class UnauthorizedError extends httpError(401, 'unauthorized', { 'WWW-Authenticate': 'Bearer' }) {
  constructor(message = 'authentication required') {
    super(message);
  }
}

/** Valid credentials of a caller who may not do this (403). */
export class ForbiddenError extends httpError(403, 'forbidden') {}

/** A request body over the route's cap (413): it was not read to its end, so the connection closes rather than drain it. */
export class PayloadTooLargeError extends httpError(413, 'payload_too_large', { Connection: 'close' }) {}

/** A request body of a type the route does not take (415), e.g. a form post. */
export class UnsupportedMediaTypeError extends httpError(415, 'unsupported_media_type') {}

/** Data that is not there yet (503 + Retry-After, so Cloud Scheduler retries). */
export class NotReadyError extends PitwallError {
  override readonly httpStatus: number = 503;
  override responseHeaders() {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details?: Record<string, unknown>,
  ) {
    super(message, 'not_ready', { retryAfterSeconds, ...details });
  }
}

/** An upstream API failed after retries (502). */
export class UpstreamError extends PitwallError {
  override readonly httpStatus: number = 502;
  constructor(
    message: string,
    readonly status?: number,
    details?: Record<string, unknown>,
  ) {
    super(message, 'upstream_error', { status, ...details });
  }
}

/** A row of an upstream answer that was refused, kept for quarantine with its reason. */
export interface RefusedRow {
  table: string;
  raw: unknown;
  reason: string;
}

/**
 * The upstream answered, but not with the whole, consistent data asked for (502): rows that
 * fail validation, fewer rows than its own total, a duplicated row, the wrong race, pages
 * that do not advance. Nothing of it is stored; `refused` are the rows to quarantine.
 */
export class UpstreamIncompleteError extends UpstreamError {
  override readonly code = 'upstream_incomplete';
  constructor(
    message: string,
    readonly refused: RefusedRow[] = [],
    details?: Record<string, unknown>,
  ) {
    super(message, undefined, details);
  }
}

/** The upstream did not answer within the request's or the whole call's deadline (502). */
export class UpstreamDeadlineError extends UpstreamError {
  override readonly code = 'upstream_deadline';
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, undefined, details);
  }
}

/** An upstream body larger than the configured cap (502); it was not read past the cap. */
export class UpstreamTooLargeError extends UpstreamError {
  override readonly code = 'upstream_too_large';
  constructor(message: string, details?: Record<string, unknown>) {
    super(message, undefined, details);
  }
}

/** The server's own configuration cannot serve the request (500 that names the setting). */
export class MisconfiguredError extends PitwallError {
  override readonly exposeMessage = true;
  constructor(message: string) {
    super(message, 'misconfigured');
  }
}
