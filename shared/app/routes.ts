import { functionManifest, type EntryPoint } from './manifest.js';
import type { RouteSpec } from '../http/route.js';
import { readRoutes, dashboardRoutes } from '../api/read-routes.js';
import { liveRoutes } from '../api/live-routes.js';
import { explainRoutes } from '../api/explain-routes.js';
import { analyticsRoutes } from '../api/analytics-routes.js';
import { overviewRoutes } from '../api/overview-routes.js';
import { championshipRoutes } from '../api/championship-routes.js';
import { evaluateRoutes, predictRoutes, syncRoutes } from '../api/write-handlers.js';
import { ingestRoutes } from '../ingest/handler.js';
import { liveSessionRoutes } from '../live/live-session-routes.js';
import { pitsRoutes } from '../pits/routes.js';
import { scheduleRoutes } from '../scheduler/schedule.js';

/** Every function's route declarations (without their handlers, which need the app's dependencies). */
export const declaredRoutes: Record<EntryPoint, readonly RouteSpec[]> = {
  api: [...Object.values(readRoutes), ...Object.values(liveRoutes), ...Object.values(analyticsRoutes), ...Object.values(explainRoutes), ...Object.values(championshipRoutes), ...Object.values(overviewRoutes), ...dashboardRoutes],
  predict: Object.values(predictRoutes),
  syncResults: Object.values(syncRoutes),
  evaluate: Object.values(evaluateRoutes),
  ingest: [...Object.values(ingestRoutes), ...Object.values(liveSessionRoutes)],
  schedule: Object.values(scheduleRoutes),
  pits: Object.values(pitsRoutes),
};

/** The functions in manifest order with their mounts and routes: what /openapi.json documents. */
export const mountedRoutes = () => functionManifest.map((f) => ({ mount: f.mount, routes: declaredRoutes[f.entryPoint] }));

/**
 * A function serves exactly the routes it declares: a declared route without a handler, or a
 * handler bound to an undeclared route, fails when the function is built, not in production.
 */
export function assertServesDeclared(name: EntryPoint, bound: readonly RouteSpec[]): void {
  const declared = new Set(declaredRoutes[name]);
  const served = new Set(bound);
  const missing = [...declared].filter((s) => !served.has(s)).map((s) => `${s.method} ${s.path}`);
  const extra = [...served].filter((s) => !declared.has(s)).map((s) => `${s.method} ${s.path}`);
  if (missing.length || extra.length) throw new Error(`function ${name}: ${missing.length ? `declared but not served: ${missing.join(', ')}` : ''}${extra.length ? ` served but not declared: ${extra.join(', ')}` : ''}`);
}
