import { z } from 'zod';
import type { HttpRequest, HttpResponse } from './handler.js';

/**
 * A route, declared once: its method, its path as the function sees it when deployed (an
 * OpenAPI template), the schemas of its parameters, body and responses. The router parses
 * with them, /openapi.json is generated from them, and with response checks on (tests) every
 * answer is parsed with the schema of its status.
 */
export interface RouteSpec {
  method: 'GET' | 'POST';
  /** Relative to the function's mount, e.g. /predictions/{raceId}. */
  path: string;
  summary: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route reads (documented; e.g. If-None-Match). */
  headers?: z.ZodObject;
  /** A JSON body (Content-Type application/json required), parsed before the handler runs. */
  body?: z.ZodType;
  /** A write: JSON or no body, an authorised caller outside local dev (shared/http/auth.ts). */
  write?: boolean;
  /** The largest body read; without a body schema or write, none is read. */
  maxBytes?: number;
  responses: Record<number, { description: string; schema?: z.ZodType; mediaType?: string }>;
  /** Served, but not part of the API document (the dashboard's assets). */
  hidden?: boolean;
}

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteInput<S extends RouteSpec> {
  req: HttpRequest;
  params: Parsed<S['params']>;
  query: Parsed<S['query']>;
  body: Parsed<S['body']>;
}

export interface BoundRoute {
  spec: RouteSpec;
  handle(input: RouteInput<RouteSpec>): Promise<HttpResponse>;
  /** Runs after the route's checks, before its body is read: refuse work the function cannot take now. */
  admit?: () => void;
}

/** Declares a route's spec, keeping its schemas' types for the handler bound to it. */
export const defineRoute = <const S extends RouteSpec>(spec: S): S => spec;

/** A handler bound to its route: the one place a route's behaviour meets its declaration. */
export const bind = <S extends RouteSpec>(spec: S, handle: (input: RouteInput<S>) => Promise<HttpResponse>, options: { admit?: () => void } = {}): BoundRoute => ({
  spec,
  handle: handle as BoundRoute['handle'],
  ...options,
});

/** The error body every refusal has (shared/http/errors.ts). */
export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

const refusal = (description: string) => ({ description, schema: errorBody });

/** The refusals every route may answer with, and those of the writes and of bodies. */
export const refusals = {
  400: refusal('invalid parameters or body: error.message says what to send'),
  404: refusal('unknown id or race'),
  405: refusal('method not served (Allow lists the ones that are)'),
};
export const bodyRefusals = {
  413: refusal('body too large'),
  415: refusal('body is not application/json'),
};
export const writeRefusals = {
  ...refusals,
  ...bodyRefusals,
  401: refusal('unauthenticated (outside local dev)'),
  403: refusal('authenticated but not allowed'),
};
export { refusal };
