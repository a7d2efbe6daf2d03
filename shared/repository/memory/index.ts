import type { Repository } from '../index.js';
import { analyticsStoreOver } from '../analytics-store.js';
import { createMemoryHistoryStore, createMemoryRacesStore } from './calendar.js';
import { createMemoryFreezeAttemptsStore } from './freeze-attempts.js';
import { createMemoryChampionshipStore } from './championship.js';
import { createMemoryEvaluationsStore, createMemoryPredictionsStore } from './predictions.js';
import { createMemoryReferenceStore } from './reference.js';
import { createMemoryResultVersionsStore } from './result-versions.js';
import { createMemoryLiveTicksStore } from './live-ticks.js';
import { createMemoryLiveTimingStore } from './live-timing.js';
import { createMemoryIngestionRunsStore, createMemoryModelVersionsStore } from './runs.js';
import { Session, Tables } from './tables.js';
import { createMemoryWeatherStore } from './weather.js';
import { createMemoryPreWeekendStore } from './pre-weekend.js';

export { ConstraintError } from './tables.js';

export interface MemoryRepositoryOptions {
  /** The database's clock (now()): recorded_at, wall-clock created_at, run timestamps. */
  now?: () => Date;
}

/**
 * The repository in memory, behind the same interfaces as the SQL one (shared/repository),
 * with the invariants domain code relies on: natural-key upserts with their counts, unique
 * keys, foreign keys to reference rows, the snapshot admission rules and immutability, and
 * transactions that undo their writes on a throw. For tests and tools that need no database.
 */
export function createMemoryRepository(options: MemoryRepositoryOptions = {}): Repository {
  return over(Session.root(new Tables(options.now ?? (() => new Date()))));
}

function over(session: Session): Repository {
  const races = createMemoryRacesStore(session);
  const reference = createMemoryReferenceStore(session);
  return {
    races,
    ingestionRuns: createMemoryIngestionRunsStore(session),
    reference,
    predictions: createMemoryPredictionsStore(session),
    evaluations: createMemoryEvaluationsStore(session),
    freezeAttempts: createMemoryFreezeAttemptsStore(session),
    resultVersions: createMemoryResultVersionsStore(session),
    history: createMemoryHistoryStore(session),
    modelVersions: createMemoryModelVersionsStore(session),
    weather: createMemoryWeatherStore(session),
    liveTicks: createMemoryLiveTicksStore(session),
    liveTiming: createMemoryLiveTimingStore(session),
    preWeekend: createMemoryPreWeekendStore(session),
    analytics: analyticsStoreOver(races, reference),
    championship: createMemoryChampionshipStore(session),
    withTransaction: (work) => session.transaction((trx) => work(over(trx))),
  };
}
