import type { AppContext } from '../../shared/app/context.js';
import { parseConfig } from '../../shared/config/config.js';
import type { Database } from '../../shared/db/connect.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import { SimulatedClock } from '../../shared/clock.js';
import type { CurrentForecaster } from '../../shared/domain/forecast.js';
import { startDevServer, type DevServer } from '../../shared/app/dev-server.js';
import type { ResultsSource } from '../../shared/lifecycle/sync-results.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { findRace } from '../../shared/lifecycle/predict.js';
import os from 'node:os';
import path from 'node:path';

/** An app context over a test database (the database stays the test's to close). */
export function appOver(db: Database, env: Record<string, string> = {}): AppContext {
  const config = parseConfig({ PITWALL_ENV: 'test', RESULTS_SOURCE: 'dump', RESPONSE_CONTRACT_CHECKS: 'true', ARTIFACT_STORE_URI: path.join(os.tmpdir(), 'pitwall-test-artifacts'), ...env });
  return { config, logger: silentLogger, db, repo: createRepository(db.knex), close: async () => {} };
}

/** The dev server (every function on one port) over a test database, with a simulated clock. */
export async function startStack(db: Database, opts: { env?: Record<string, string>; now?: Date; resultsSource?: ResultsSource; forecaster?: CurrentForecaster } = {}) {
  const clock = new SimulatedClock(opts.now ?? new Date('2025-01-01T00:00:00Z'));
  const app = appOver(db, opts.env);
  const server: DevServer = await startDevServer({ app, clock, port: 0, ...(opts.resultsSource ? { resultsSource: opts.resultsSource } : {}), ...(opts.forecaster ? { forecaster: opts.forecaster } : {}) });
  return { app, clock, server, url: server.url };
}

/** Moves a stack's clock to the instant its freeze policy allows freezing a race (before the start). */
export async function atFreeze(stack: { app: AppContext; clock: SimulatedClock }, year: number, race: string): Promise<void> {
  const found = await findRace(stack.app.repo, { year, race });
  stack.clock.set(freezeWindow(found, stack.app.config.freezePolicy).allowedAt);
}
