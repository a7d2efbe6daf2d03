import fs from 'node:fs/promises';
import type { AppContext } from '../app/context.js';
import { createStorageClient } from '../clients/gcs.js';
import { createApiClients } from '../clients/api-clients.js';
import type { CurrentForecaster, Forecaster } from '../domain/forecast.js';
import { dataThrough, versionMayForecast } from '../models/race/version-rules.js';
import { withErrors, type Handler } from '../http/handler.js';
import { withCors } from '../http/cors.js';
import { fetchRaceResults } from '../ingest/api/fetch-race-results.js';
import type { Clock } from '../lifecycle/clock.js';
import { QualifyingOrderForecaster } from '../lifecycle/qualifying-order-forecaster.js';
import { SnapshotCache, TtlCache } from '../lifecycle/snapshot-cache.js';

/** How late GET /predictions may notice a race's first (official) freeze. */
export const OFFICIAL_REF_TTL_MS = 5_000;
/** How late predict may notice a newly registered model version. */
export const MODEL_VERSION_TTL_MS = 5_000;
import { fetchedResultsSource, storedResultsSource, type ModelUpdate, type ResultsSource } from '../lifecycle/sync-results.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Logger } from '../log/logger.js';
import { builtDashboardDir, createDashboardHandler, isDashboardPath } from '../dashboard/serve.js';
import { createReadApi, labelOf } from './read-api.js';
import { evaluateHandler, predictHandler, syncHandler, writeBodyPolicy } from './write-handlers.js';
import { authPolicyOf } from '../http/auth.js';
import { NO_BODY, type BodyPolicy } from '../http/express-adapter.js';

/** The functions this package deploys (the ingest and pits functions register themselves). */
export const functionNames = ['predict', 'syncResults', 'evaluate', 'api'] as const;
export type FunctionName = (typeof functionNames)[number];

export interface FunctionDeps {
  app: AppContext;
  clock: Clock;
  /** The model version for a freeze; defaults to the trained model when there is one. */
  forecaster?: CurrentForecaster;
  resultsSource?: ResultsSource;
  /** The built dashboard assets (default dist/dashboard). */
  dashboardDir?: string;
}

/**
 * The model version a freeze uses: the latest registered race model that may forecast a race
 * frozen at `asOf` (its network trained on seasons before the race's, its pool having learnt
 * no race that started at or after `asOf`: the version the backtest would have used then),
 * else the qualifying-order baseline (fresh clone, nothing trained yet, or only models that
 * have seen the race). Finding the version is one query; the model itself is loaded from the
 * artifact store only when a forecast is needed (a frozen race never loads it), then kept per
 * version. `trainedBefore` admits only models whose data ends before that season.
 */
export function currentForecaster(app: AppContext, options: { trainedBefore?: number } = {}): CurrentForecaster {
  const baseline = new QualifyingOrderForecaster(app.repo);
  const loaded = new Map<string, Promise<Forecaster>>();
  const load = (version: string, artifactUri: string) => {
    let f = loaded.get(version);
    if (!f) {
      f = (async () => {
        const [{ setupTensorflow }, { createArtifactStore }, { createRaceForecaster, artifactKeyOf }, { loadPooledRaceModel }] = await Promise.all([
          import('../models/tf.js'),
          import('../artifacts/create-store.js'),
          import('../models/race/forecaster.js'),
          import('../models/race/pool-artifacts.js'),
        ]);
        await setupTensorflow({ logger: app.logger });
        const store = await createArtifactStore(app.config.artifactStoreUri, { gcsApiEndpoint: app.config.gcsApiEndpoint, projectId: app.config.gcp.project });
        const { model, pool } = await loadPooledRaceModel(store, artifactKeyOf(store, artifactUri));
        return createRaceForecaster({ repo: app.repo, model, version, pool });
      })();
      f.catch(() => loaded.delete(version));
      loaded.set(version, f);
    }
    return f;
  };
  const versionList = new TtlCache<Awaited<ReturnType<typeof app.repo.modelVersions.list>>>(MODEL_VERSION_TTL_MS);
  const current: CurrentForecaster = async (asOf) => {
    const versions = await versionList.get('race', () => app.repo.modelVersions.list('race', 200));
    // The usable version with the most recent data (not the most recently trained: replaying an
    // older season registers older-data versions, which must not replace the current model).
    const usable = versions
      .filter((v) => (options.trainedBefore === undefined || v.dataToSeason < options.trainedBefore) && (asOf === undefined || versionMayForecast(v, asOf)))
      .map((v, i) => ({ v, i, through: dataThrough(v) }))
      .sort((a, b) => b.through - a.through || a.i - b.i)[0]?.v;
    if (!usable) return baseline;
    return { version: usable.version, forecast: async (raceId, at) => (await load(usable.version, usable.artifactUri)).forecast(raceId, at) };
  };
  current.invalidate = () => versionList.delete('race');
  return current;
}

/**
 * The post-race model update (training/update-race-model.ts) for the sync function. TensorFlow
 * and the artifact store are set up on the first update only; the forecaster's version list is
 * dropped after one, so an in-process freeze (the replay, the dev server) sees the new version.
 */
export function modelUpdater(app: AppContext, logger: Logger, forecaster: CurrentForecaster): (raceId: number) => Promise<ModelUpdate> {
  let setup: Promise<ArtifactStore> | undefined;
  return async (raceId) => {
    setup ??= (async () => {
      const [{ setupTensorflow }, { createArtifactStore }] = await Promise.all([import('../models/tf.js'), import('../artifacts/create-store.js')]);
      await setupTensorflow({ logger });
      return createArtifactStore(app.config.artifactStoreUri, { gcsApiEndpoint: app.config.gcsApiEndpoint, projectId: app.config.gcp.project });
    })();
    setup.catch(() => (setup = undefined));
    const { updateRaceModel } = await import('../training/update-race-model.js');
    const out = await updateRaceModel({ repo: app.repo, store: await setup, logger }, raceId);
    if (out.status === 'updated') forecaster.invalidate?.();
    return { status: out.status, modelVersion: 'modelVersion' in out ? out.modelVersion.version : null, reason: 'reason' in out ? out.reason : null };
  };
}

export function defaultResultsSource(app: AppContext): ResultsSource {
  if (app.config.resultsSource === 'dump') return storedResultsSource(app.repo);
  const { jolpica } = createApiClients(app.config, app.logger);
  return fetchedResultsSource((season, round) => fetchRaceResults(jolpica, season, round, { withinMs: app.config.upstream.syncDeadlineMs }));
}

/**
 * Builds one function's handler from the app context: the one place where configuration
 * turns into the dependencies the lifecycle and the read API take as parameters.
 */
export function createFunction(name: FunctionName, deps: FunctionDeps): Handler {
  const { app, clock } = deps;
  const auth = authPolicyOf(app.config);
  const forecaster = deps.forecaster ?? currentForecaster(app);
  const logger = app.logger.child({ function: name });
  switch (name) {
    case 'predict':
      return withErrors(
        logger,
        predictHandler({
          repo: app.repo, clock, policy: app.config.freezePolicy, forecaster, auth,
          // Loaded on the first freeze only (cold start).
          strategy: async (race) => (await import('../pits/prerace.js')).preRaceStrategy(app.repo, race),
          snapshots: new SnapshotCache(), presented: new SnapshotCache(), frozenRefs: new SnapshotCache(4096), seasons: new TtlCache(60_000),
        }),
      );
    case 'syncResults':
      return withErrors(
        logger,
        syncHandler({
          repo: app.repo, source: deps.resultsSource ?? defaultResultsSource(app), auth, clock, policy: app.config.freezePolicy, updateModel: modelUpdater(app, logger, forecaster),
        }),
      );
    case 'evaluate':
      return withErrors(logger, evaluateHandler({ repo: app.repo, auth, policy: app.config.freezePolicy }));
    case 'api': {
      let openapi: unknown;
      const dashboard = createDashboardHandler(deps.dashboardDir ?? builtDashboardDir());
      const readApi = createReadApi({
        repo: app.repo,
        clock,
        policy: app.config.freezePolicy,
        currentModel: async () => (await forecaster()).version,
        health: healthChecks(app, forecaster),
        // Loaded on the first request for it: the pits schemas it documents import TensorFlow.
        openapi: async () => (openapi ??= (await import('./openapi.js')).buildOpenApiDocument({ version: app.config.revision ?? 'dev' })),
        presented: new SnapshotCache(),
        officialRefs: new TtlCache(OFFICIAL_REF_TTL_MS),
      });
      // The dashboard is served by the read API function itself: same origin, no CDN. Pages on
      // ALLOWED_ORIGINS may read it too (CORS over the mapped errors; its refusal mapped outside).
      const api = withErrors(logger, (req) => (isDashboardPath(req.path) ? dashboard(req) : readApi(req)));
      return withErrors(logger, withCors(app.config.allowedOrigins, api));
    }
  }
}

/**
 * How much body each function reads, and what it checks first: the writes take a small JSON
 * body after their preflight; the read API takes none.
 */
export function bodyPolicyOf(name: FunctionName, app: AppContext): BodyPolicy {
  return name === 'api' ? NO_BODY : writeBodyPolicy(authPolicyOf(app.config));
}

function healthChecks(app: AppContext, forecaster: CurrentForecaster) {
  const gcs = app.config.artifactStoreUri.startsWith('gs://');
  return {
    database: async () => {
      await app.db.knex.raw('select 1');
      return { ok: true, detail: app.db.kind };
    },
    // The model a freeze would use now, with the data it has seen.
    model: async () => ({ ok: true, detail: (await labelOf(app.repo, (await forecaster()).version)).label }),
    artifactStore: async () => {
      const uri = app.config.artifactStoreUri;
      if (gcs) {
        const storage = await createStorageClient({ gcsApiEndpoint: app.config.gcsApiEndpoint, projectId: app.config.gcp.project });
        const [exists] = await storage.bucket(uri.slice(5).split('/')[0]!).exists();
        // Public: the kind of store, never its bucket or path.
        return { ok: exists, detail: 'gcs' };
      }
      await fs.mkdir(uri, { recursive: true });
      await fs.access(uri, fs.constants.W_OK);
      return { ok: true, detail: 'local folder' };
    },
  };
}
