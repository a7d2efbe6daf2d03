import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { AppContext } from '../shared/app/context.js';
import { bodyPolicyOf, createFunction, type FunctionDeps } from '../shared/api/functions.js';
import { writeBodyPolicy } from '../shared/api/write-handlers.js';
import { authPolicyOf } from '../shared/http/auth.js';
import { deferBodyParsing, PITS_BODY_MAX_BYTES } from '../shared/http/body.js';
import type { Express } from 'express';
import { bodyErrorMiddleware, toHttpFunction, type BodyPolicy } from '../shared/http/express-adapter.js';
import type { Handler } from '../shared/http/handler.js';
import { handleIngest } from '../shared/ingest/handler.js';
import { createPitsFunction } from '../shared/pits/function.js';
import type { Clock } from '../shared/lifecycle/clock.js';
import type { Scheduler } from '../shared/scheduler/port.js';
import { createScheduler, scheduleHandler } from '../shared/scheduler/schedule.js';
import { withErrors } from '../shared/http/handler.js';

/**
 * Every function on one port, as functions-framework serves each of them when deployed:
 * the handlers are registered with functions-framework, and each request is handed to
 * the framework's own server for the function its path prefix names (the read API takes
 * every path no write function claims).
 */
export const routes: [prefix: string, fn: string][] = [
  ['/predict', 'predict'],
  ['/results/sync', 'syncResults'],
  ['/evaluate', 'evaluate'],
  ['/ingest', 'ingest'],
  ['/schedule', 'schedule'],
  ['/pits', 'pits'],
];

export interface DevServerOptions extends Omit<FunctionDeps, 'app' | 'clock'> {
  app: AppContext;
  clock: Clock;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Where the schedule function keeps its jobs (default: from the config, in memory locally). */
  scheduler?: Scheduler;
}

export interface DevServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { app, clock } = options;
  const deps: FunctionDeps = { app, clock, ...(options.forecaster ? { forecaster: options.forecaster } : {}), ...(options.resultsSource ? { resultsSource: options.resultsSource } : {}) };
  const auth = authPolicyOf(app.config);
  const writes = writeBodyPolicy(auth);
  const ingest: Handler = async (req) =>
    handleIngest({ repo: app.repo, logger: app.logger.child({ function: 'ingest' }), auth, ingest: app.config.ingest }, { method: req.method, headers: req.headers, body: req.body });
  const handlers: Record<string, [Handler, BodyPolicy]> = {
    predict: [createFunction('predict', deps), bodyPolicyOf('predict', app)],
    syncResults: [createFunction('syncResults', deps), bodyPolicyOf('syncResults', app)],
    evaluate: [createFunction('evaluate', deps), bodyPolicyOf('evaluate', app)],
    api: [createFunction('api', deps), bodyPolicyOf('api', app)],
    pits: [await createPitsFunction(app), { maxBytes: PITS_BODY_MAX_BYTES }],
    ingest: [ingest, writes],
    schedule: [
      withErrors(
        app.logger.child({ function: 'schedule' }),
        scheduleHandler({ repo: app.repo, scheduler: options.scheduler ?? (() => createScheduler(app.config)), clock, config: app.config, auth }),
      ),
      writes,
    ],
  };
  const servers = new Map<string, http.Server>();
  for (const [name, [handler, body]] of Object.entries(handlers)) {
    const logger = app.logger.child({ function: name });
    registerHttp(name, toHttpFunction(handler, body, logger));
    const server = getTestServer(name);
    // The framework's Express app is the server's request listener: errors of its body parser
    // get the JSON error body too.
    (server.listeners('request')[0] as Express).use(bodyErrorMiddleware(logger));
    servers.set(name, server);
  }
  const api = servers.get('api')!;
  const server = http.createServer((req, res) => {
    // functions-framework answers /favicon.ico with 404 before any function runs (its default
    // ignored routes; the deployed api function sets IGNORED_ROUTES=""): hand it the icon's path.
    if (req.url === '/favicon.ico') req.url = '/dashboard/favicon.svg';
    const path = req.url ?? '/';
    const match = routes.find(([prefix]) => path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`));
    const target = (match && servers.get(match[1])) ?? api;
    // The function reads the body itself, under its cap, after its checks (shared/http/body.ts).
    deferBodyParsing(req);
    target.emit('request', req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
