import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Express } from 'express';
import type { AppContext } from './context.js';
import { createComposition, type CompositionOverrides } from './compose.js';
import { functionManifest, type FunctionSpec } from './manifest.js';
import { onArrival } from '../http/body.js';
import { bodyErrorMiddleware, toHttpFunction } from '../http/express-adapter.js';
import type { Clock } from '../clock.js';

/**
 * Every function of the manifest on one port, each built by the composition root and served
 * by functions-framework's own server as when deployed: a request goes to the function whose
 * mount its path starts with (the read API, at /, takes the rest), and the function sees the
 * path after the mount, as it sees the path after FUNCTIONS_BASE_URL/<name> when deployed.
 */
export interface DevServerOptions extends CompositionOverrides {
  app: AppContext;
  clock: Clock;
  /** 0 picks a free port. */
  port: number;
  host?: string;
}

export interface DevServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Longest mount first, so /results/sync wins over /. */
const byMount = [...functionManifest].sort((a, b) => b.mount.length - a.mount.length);

/** The function a path belongs to, and the path it sees: the longest mount that prefixes it. */
export function mountOf(url: string): { spec: FunctionSpec; url: string } {
  const path = url.split('?')[0] ?? '/';
  const spec = byMount.find((f) => f.mount === '/' || path === f.mount || path.startsWith(`${f.mount}/`))!;
  const rest = spec.mount === '/' ? url : url.slice(spec.mount.length);
  return { spec, url: rest.startsWith('/') ? rest : `/${rest}` };
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const { app, port, host, ...deps } = options;
  const composition = createComposition({ app, ...deps });
  const servers = new Map<string, http.Server>();
  for (const spec of functionManifest) {
    const logger = app.logger.child({ function: spec.entryPoint });
    registerHttp(spec.entryPoint, toHttpFunction(await composition.build(spec.entryPoint), logger));
    const server = getTestServer(spec.entryPoint);
    // The framework's Express app is the server's request listener: errors of its body parser
    // get the JSON error body too.
    (server.listeners('request')[0] as Express).use(bodyErrorMiddleware(logger));
    servers.set(spec.entryPoint, server);
  }
  const server = http.createServer((req, res) => {
    // functions-framework answers /favicon.ico with 404 before any function runs (its default
    // ignored routes; the deployed api function sets IGNORED_ROUTES=""): hand it the icon's path.
    if (req.url === '/favicon.ico') req.url = '/dashboard/favicon.svg';
    // The function reads the body itself, under its cap, after its checks (shared/http/body.ts).
    onArrival(req);
    const target = mountOf(req.url ?? '/');
    req.url = target.url;
    servers.get(target.spec.entryPoint)!.emit('request', req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host ?? '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${host && host !== '0.0.0.0' ? host : '127.0.0.1'}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }).then(() => composition.close()),
  };
}
