import fs from 'node:fs/promises';
import { Storage } from '@google-cloud/storage';
import type { AppContext } from '../app/context.js';
import { createHttpClient } from '../clients/http-client.js';
import { createJolpicaClient } from '../clients/jolpica.js';
import { jolpicaLimits } from '../clients/pacer.js';
import { createResponseCache } from '../clients/response-cache.js';
import type { Forecaster } from '../domain/forecast.js';
import { withErrors, type Handler } from '../http/handler.js';
import { fetchRaceResults } from '../ingest/api/fetch-race-results.js';
import type { Clock } from '../lifecycle/clock.js';
import { QualifyingOrderForecaster } from '../lifecycle/qualifying-order-forecaster.js';
import { fetchedResultsSource, storedResultsSource, type ResultsSource } from '../lifecycle/sync-results.js';
import type { Repository } from '../repository/index.js';
import { buildOpenApiDocument } from './openapi.js';
import { createReadApi } from './read-api.js';
import { evaluateHandler, predictHandler, syncHandler } from './write-handlers.js';

/** The functions this package deploys (the ingest and pits functions register themselves). */
export const functionNames = ['predict', 'syncResults', 'evaluate', 'api'] as const;
export type FunctionName = (typeof functionNames)[number];

export interface FunctionDeps {
  app: AppContext;
  clock: Clock;
  /** The current model version; defaults to the trained model when there is one. */
  forecaster?: () => Promise<Forecaster>;
  resultsSource?: ResultsSource;
}

/** The current forecaster: the qualifying-order baseline until a trained model is registered. */
export function defaultForecaster(repo: Repository): () => Promise<Forecaster> {
  const baseline = new QualifyingOrderForecaster(repo);
  return async () => baseline;
}

export function defaultResultsSource(app: AppContext): ResultsSource {
  if (app.config.resultsSource === 'dump') return storedResultsSource(app.repo);
  const http = createHttpClient({ limits: jolpicaLimits, cache: createResponseCache(app.config.httpCacheDir, app.logger), logger: app.logger });
  const client = createJolpicaClient({ http, baseUrl: app.config.jolpicaBaseUrl });
  return fetchedResultsSource((season, round) => fetchRaceResults(client, season, round));
}

/**
 * Builds one function's handler from the app context: the one place where configuration
 * turns into the dependencies the lifecycle and the read API take as parameters.
 */
export function createFunction(name: FunctionName, deps: FunctionDeps): Handler {
  const { app, clock } = deps;
  const auth = { env: app.config.env, ...(app.config.apiKey ? { apiKey: app.config.apiKey } : {}) };
  const forecaster = deps.forecaster ?? defaultForecaster(app.repo);
  const logger = app.logger.child({ function: name });
  switch (name) {
    case 'predict':
      return withErrors(logger, predictHandler({ repo: app.repo, clock, policy: app.config.freezePolicy, forecaster, auth }));
    case 'syncResults':
      return withErrors(logger, syncHandler({ repo: app.repo, source: deps.resultsSource ?? defaultResultsSource(app), auth }));
    case 'evaluate':
      return withErrors(logger, evaluateHandler({ repo: app.repo, auth }));
    case 'api': {
      let openapi: unknown;
      return withErrors(
        logger,
        createReadApi({
          repo: app.repo,
          clock,
          policy: app.config.freezePolicy,
          currentModel: async () => (await forecaster()).version,
          health: healthChecks(app, forecaster),
          openapi: () => (openapi ??= buildOpenApiDocument({ version: app.config.revision ?? 'dev' })),
        }),
      );
    }
  }
}

function healthChecks(app: AppContext, forecaster: () => Promise<Forecaster>) {
  const storage = app.config.artifactStoreUri.startsWith('gs://')
    ? new Storage(app.config.gcsApiEndpoint ? { apiEndpoint: app.config.gcsApiEndpoint } : {})
    : undefined;
  return {
    database: async () => {
      await app.db.knex.raw('select 1');
      return { ok: true, detail: app.db.kind };
    },
    model: async () => ({ ok: true, detail: (await forecaster()).version }),
    artifactStore: async () => {
      const uri = app.config.artifactStoreUri;
      if (storage) {
        const [exists] = await storage.bucket(uri.slice(5).split('/')[0]!).exists();
        return { ok: exists, detail: uri };
      }
      await fs.mkdir(uri, { recursive: true });
      await fs.access(uri, fs.constants.W_OK);
      return { ok: true, detail: uri };
    },
  };
}
