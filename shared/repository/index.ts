import type { Knex } from 'knex';
import { createAnalyticsStore, type AnalyticsStore } from './analytics-store.js';
import { createChampionshipStore, type ChampionshipStore } from './championship-store.js';
import { createEvaluationsStore, type EvaluationsStore } from './evaluations-store.js';
import { createFreezeAttemptsStore, type FreezeAttemptsStore } from './freeze-attempts-store.js';
import { createHistoryStore, type HistoryStore } from './history-store.js';
import { createIngestionRunsStore, type IngestionRunsStore } from './ingestion-runs-store.js';
import { createLiveTicksStore, type LiveTicksStore } from './live-ticks-store.js';
import { createLiveTimingStore, type LiveTimingStore } from './live-timing-store.js';
import { createModelVersionsStore, type ModelVersionsStore } from './model-versions-store.js';
import { createPredictionsStore, type PredictionsStore } from './predictions-store.js';
import { createRacesStore, type RacesStore } from './races-store.js';
import { createReferenceStore, type ReferenceStore } from './reference-store.js';
import { createResultVersionsStore, type ResultVersionsStore } from './result-versions-store.js';
import { createWeatherStore, type WeatherStore } from './weather-store.js';
import { createPreWeekendStore, type PreWeekendStore } from './pre-weekend-store.js';

/**
 * The repository: the one module that writes SQL. Every store is built over the same
 * knex or transaction handle, so `withTransaction` hands callers a repository whose
 * every store runs inside one transaction (on PGlite's single connection that is the
 * only safe way to query inside a transaction).
 */
export interface Repository {
  races: RacesStore;
  ingestionRuns: IngestionRunsStore;
  reference: ReferenceStore;
  predictions: PredictionsStore;
  evaluations: EvaluationsStore;
  freezeAttempts: FreezeAttemptsStore;
  resultVersions: ResultVersionsStore;
  history: HistoryStore;
  modelVersions: ModelVersionsStore;
  weather: WeatherStore;
  liveTicks: LiveTicksStore;
  liveTiming: LiveTimingStore;
  /** The pre-weekend learner's states (migrations/018). */
  preWeekend: PreWeekendStore;
  /** The driver and team analytics' season reads. */
  analytics: AnalyticsStore;
  /** The title odds after each round (shared/championship). */
  championship: ChampionshipStore;
  withTransaction<T>(work: (trx: Repository) => Promise<T>): Promise<T>;
}

export function createRepository(db: Knex | Knex.Transaction): Repository {
  return {
    races: createRacesStore(db),
    ingestionRuns: createIngestionRunsStore(db),
    reference: createReferenceStore(db),
    predictions: createPredictionsStore(db),
    evaluations: createEvaluationsStore(db),
    freezeAttempts: createFreezeAttemptsStore(db),
    resultVersions: createResultVersionsStore(db),
    history: createHistoryStore(db),
    modelVersions: createModelVersionsStore(db),
    weather: createWeatherStore(db),
    liveTicks: createLiveTicksStore(db),
    liveTiming: createLiveTimingStore(db),
    preWeekend: createPreWeekendStore(db),
    analytics: createAnalyticsStore(db),
    championship: createChampionshipStore(db),
    withTransaction: (work) => db.transaction((trx) => work(createRepository(trx))),
  };
}
