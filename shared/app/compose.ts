import type { Storage } from '@google-cloud/storage';
import type { AppContext } from './context.js';
import { functionSpec, writeFunctionNames, type EntryPoint } from './manifest.js';
import { currentForecaster, modelUpdater } from './forecaster.js';
import { healthChecks } from './health.js';
import { assertServesDeclared, mountedRoutes } from './routes.js';
import type { CurrentForecaster } from '../domain/forecast.js';
import type { Clock } from '../clock.js';
import type { LoadedPitModel } from '../pits/serve.js';
import { withErrors, type Handler } from '../http/handler.js';
import { bind, type BoundRoute } from '../http/route.js';
import { createRouter } from '../http/router.js';
import { withCors } from '../http/cors.js';
import { authPolicyOf } from '../http/auth.js';
import { createApiClients } from '../clients/api-clients.js';
import { createStorageClient } from '../clients/gcs.js';
import { fetchRaceResults } from '../ingest/api/fetch-race-results.js';
import { refreshRaceWeather } from '../ingest/api/race-weather.js';
import type { RaceWeatherRefresh } from '../domain/weather.js';
import { fetchedResultsSource } from '../ingest/results-source.js';
import { storedResultsSource, type ResultsSource } from '../lifecycle/sync-results.js';
import { LruCache } from '../cache/lru-cache.js';
import { TtlCache } from '../cache/ttl-cache.js';
import { createReadApi } from '../api/read-api.js';
import { dashboardRoutes } from '../api/read-routes.js';
import { evaluateFunction, predictFunction, syncFunction } from '../api/write-handlers.js';
import { builtDashboardDir, createDashboardHandler } from '../dashboard/serve.js';
import { ingestFunction } from '../ingest/handler.js';
import type { Scheduler } from '../scheduler/port.js';
import { createScheduler, scheduleFunction } from '../scheduler/schedule.js';
import { ingestJolpica } from '../ingest/api/api-ingest.js';
import { createLiveApi } from '../api/live-routes.js';
import { createExplainApi } from '../api/explain-routes.js';
import { createAnalyticsApi } from '../api/analytics-routes.js';
import { createOverviewApi } from '../api/overview-routes.js';
import { createChampionshipApi } from '../api/championship-routes.js';
import { championshipUpdater } from '../championship/odds-after-race.js';
import { liveSessionFunction } from '../live/live-session-routes.js';
import { createLiveBus } from '../live/create-live-bus.js';
import { preWeekendForecaster } from '../models/pre-weekend/forecaster.js';
import { createProgress } from '../log/progress.js';
import type { LiveBus } from '../live/live-bus.js';
import { WorkGate } from '../pits/work-gate.js';
import { NotReadyError } from '../errors.js';

/** What-ifs computing at once on one api instance, and waiting beyond those (more: 503). */
const WHAT_IF_RUNNING = 1;
const WHAT_IF_QUEUED = 4;

/** How late GET /predictions may notice a race's first (official) freeze. */
export const OFFICIAL_REF_TTL_MS = 5_000;

/** What a caller may put in place of what the configuration would build (tests, the replay, tools). */
export interface CompositionOverrides {
  /** The model version for a freeze; default: the latest registered model that may forecast it. */
  forecaster?: CurrentForecaster;
  resultsSource?: ResultsSource;
  /** The built dashboard assets (default dist/dashboard). */
  dashboardDir?: string;
  /** Where the schedule function keeps its jobs (default: from the config, in memory locally). */
  scheduler?: () => Promise<Scheduler>;
  /** The freeze's race-day forecast fetch (default: Open-Meteo on a wall clock, none on a simulated one); null: none. */
  weather?: RaceWeatherRefresh | null;
  /** The fan-out of live ticks (default: chosen by the database, shared/live/create-live-bus.ts). */
  liveBus?: LiveBus;
}

export interface CompositionDeps extends CompositionOverrides {
  app: AppContext;
  clock: Clock;
}

/**
 * The composition root: the one place where the app context (configuration, database,
 * logger) becomes each function's dependencies, and each feature's routes become the
 * function's handler under one router. The function modules, the dev server, the replay
 * and the tests all build their functions here. What functions of one process share (the
 * forecaster, whose version list a post-race update invalidates) is built once.
 */
export function createComposition(deps: CompositionDeps) {
  const { app, clock } = deps;
  const auth = authPolicyOf(app.config, writeFunctionNames);
  let forecaster: CurrentForecaster | undefined;
  const sharedForecaster = () => (forecaster ??= deps.forecaster ?? currentForecaster(app));
  const loggerOf = (name: EntryPoint) => app.logger.child({ function: name });
  // One scheduler per process: GET /jobs/status lists the jobs the schedule function keeps (in memory locally).
  let scheduler: Promise<Scheduler> | undefined;
  const sharedScheduler = () => {
    scheduler ??= (deps.scheduler ?? (() => createScheduler(app.config, clock)))();
    scheduler.catch(() => (scheduler = undefined));
    return scheduler;
  };
  // One live bus per process: each instance LISTENs once and fans out to its own SSE clients.
  let liveBus: LiveBus | undefined;
  const sharedLiveBus = () => (liveBus ??= deps.liveBus ?? createLiveBus({ database: app.config.database, dbKind: app.db.kind, knex: app.db.knex, logger: app.logger.child({ component: 'live-bus' }) }));
  const router = (name: EntryPoint, routes: BoundRoute[]): Handler =>
    createRouter(routes, { name: functionSpec(name).name, logger: loggerOf(name), auth, checkResponses: app.config.checkResponses });

  // A replay's simulated clock must not fetch today's forecast for a past race.
  const freezeWeather = (): { weather?: RaceWeatherRefresh } => {
    if (deps.weather !== undefined) return deps.weather ? { weather: deps.weather } : {};
    if (clock.kind !== 'wall') return {};
    const { openMeteo } = createApiClients(app.config, loggerOf('predict'));
    return { weather: (race, options) => refreshRaceWeather({ repo: app.repo, openMeteo, clock, logger: loggerOf('predict') }, race, options) };
  };
  const routesOf: Record<EntryPoint, () => Promise<BoundRoute[]>> = {
    predict: async () =>
      predictFunction({
        repo: app.repo, clock, policy: app.config.freezePolicy, forecaster: sharedForecaster(),
        preWeekend: { policy: app.config.preWeekendPolicy, forecaster: preWeekendForecaster({ repo: app.repo, hours: app.config.preWeekendPolicy.hours, progress: (total) => createProgress(loggerOf('predict'), 'pre-weekend learner', total) }) },
        // Loaded on the first freeze only (cold start).
        strategy: async (race) => (await import('../pits/prerace.js')).preRaceStrategy(app.repo, race),
        ...freezeWeather(),
        snapshots: new LruCache(), presented: new LruCache(), frozenRefs: new LruCache(4096), seasons: new TtlCache(60_000),
      }),
    syncResults: async () =>
      syncFunction({
        repo: app.repo, clock, policy: app.config.freezePolicy, source: deps.resultsSource ?? resultsSourceOf(app, clock),
        updateModel: modelUpdater(app, loggerOf('syncResults'), sharedForecaster()),
        updateChampionship: championshipUpdater({ repo: app.repo, hours: app.config.preWeekendPolicy.hours, logger: loggerOf('syncResults') }),
      }),
    evaluate: async () => evaluateFunction({ repo: app.repo, policy: app.config.freezePolicy }),
    ingest: async () => {
      const storage: Pick<Storage, 'bucket'> = await createStorageClient({ gcsApiEndpoint: app.config.gcsApiEndpoint, projectId: app.config.gcp.project });
      const clients = createApiClients(app.config, loggerOf('ingest'), clock);
      return [
        ...ingestFunction({ repo: app.repo, logger: loggerOf('ingest'), clock, ingest: app.config.ingest, storage, ...clients }),
        ...liveSessionFunction({
          repo: app.repo, bus: sharedLiveBus(), logger: loggerOf('ingest'), policy: app.config.freezePolicy, clock, openf1: clients.openf1, clients: app.config,
          ...(app.config.openf1Token ? { openf1Token: app.config.openf1Token } : {}),
          pollSeconds: app.config.live.pollSeconds,
          // TensorFlow and the pit model load on the first tick, not at every ingest cold start.
          pitModel: lazyPitModel(app),
        }),
      ];
    },
    schedule: async () => {
      const { jolpica } = createApiClients(app.config, loggerOf('schedule'), clock);
      const ingestDeps = { repo: app.repo, logger: loggerOf('schedule'), jolpica, now: () => clock.now() };
      return scheduleFunction({
        repo: app.repo, clock, config: app.config, scheduler: sharedScheduler,
        ingestCalendar: (season) => ingestJolpica(ingestDeps, { season, parts: ['schedule'] }),
      });
    },
    pits: async () => (await import('./pits.js')).pitsRoutesOf(app),
    api: async () => {
      let openapi: unknown;
      const dashboard = createDashboardHandler(deps.dashboardDir ?? builtDashboardDir());
      const forecast = sharedForecaster();
      return [
        ...createReadApi({
          repo: app.repo,
          clock,
          policy: app.config.freezePolicy,
          preWeekendPolicy: app.config.preWeekendPolicy,
          currentModel: async () => (await forecast()).version,
          health: healthChecks(app, forecast),
          // Loaded on the first request for it: the document imports every function's routes.
          openapi: async () => (openapi ??= (await import('../api/openapi.js')).buildOpenApiDocument({ version: app.config.revision ?? 'dev' }, mountedRoutes())),
          presented: new LruCache(),
          officialRefs: new TtlCache(OFFICIAL_REF_TTL_MS),
          scheduler: sharedScheduler,
        }),
        ...createLiveApi({ repo: app.repo, bus: sharedLiveBus(), logger: loggerOf('api') }),
        ...createExplainApi({
          repo: app.repo, policy: app.config.freezePolicy, forecaster: forecast,
          gate: new WorkGate(WHAT_IF_RUNNING, WHAT_IF_QUEUED, () => new NotReadyError('other what-if forecasts are computing: retry in a few seconds', 2)),
        }),
        ...createAnalyticsApi({ repo: app.repo }),
        ...createOverviewApi({
          repo: app.repo, clock, policy: app.config.freezePolicy, preWeekendPolicy: app.config.preWeekendPolicy,
          preWeekend: preWeekendForecaster({ repo: app.repo, hours: app.config.preWeekendPolicy.hours, readOnly: true }), provisional: new LruCache(64),
        }),
        ...createChampionshipApi({ repo: app.repo }),
        // The dashboard is served by the read API function itself: same origin, no CDN.
        ...dashboardRoutes.map((spec) => bind(spec, async ({ req }) => dashboard(req))),
      ];
    },
  };

  return {
    /** One function's handler: its routes under the router, the read functions with CORS. */
    async build(name: EntryPoint): Promise<Handler> {
      const routes = await routesOf[name]();
      assertServesDeclared(name, routes.map((r) => r.spec));
      const handler = router(name, routes);
      // The read functions (the API and dashboard, the pit forecasts) answer pages on the allowed
      // origins; CORS sits outside the router so its error answers reach such a page too.
      return functionSpec(name).access === 'read' ? withErrors(loggerOf(name), withCors(app.config.allowedOrigins, handler)) : handler;
    },
    /** The forecaster the functions of this composition share. */
    forecaster: sharedForecaster,
    /** The live bus the api function's event streams listen on: publish ticks stored in this process through it (storeAndPublish). */
    liveBus: sharedLiveBus,
    /** Releases what the composition holds open (the live bus's LISTEN connection). */
    close: async () => {
      // An injected bus is its owner's to close.
      if (liveBus && !deps.liveBus) await liveBus.close();
    },
  };
}

function lazyPitModel(app: AppContext) {
  let model: Promise<() => Promise<LoadedPitModel | null>> | undefined;
  return async () => (await (model ??= import('./pits.js').then((m) => m.livePitModel(app))))();
}

/** The API clients pace, back off and keep deadlines on the composition's clock (a replay's simulated one). */
function resultsSourceOf(app: AppContext, clock: Clock): ResultsSource {
  if (app.config.resultsSource === 'dump') return storedResultsSource(app.repo);
  const { jolpica } = createApiClients(app.config, app.logger, clock);
  return fetchedResultsSource((season, round) => fetchRaceResults(jolpica, season, round, { withinMs: app.config.upstream.syncDeadlineMs }));
}
