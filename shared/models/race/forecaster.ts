import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import type { Forecaster, RaceForecast } from '../../domain/forecast.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { History } from '../../domain/history.js';
import { applyGridChanges, type GridChange } from '../../domain/grid-change.js';
import { computeRaceFeatures, FEATURE_HISTORY_SEASONS, featureNames, indexHistory, type RaceFeatures } from '../../features/race-features.js';
import type { Repository } from '../../repository/index.js';
import { baselinePrediction, fitSlotTable, type BaselineKind } from './baselines.js';
import { fitGapTable } from './gap-table.js';
import { learnerOf, type PoolArtifact } from './pool-artifacts.js';
import { poolInputs } from './pooled-model.js';
import { explainedPooledForecast } from './attribution.js';
import { predictRace, type RaceModel } from './race-model.js';

type ForecastRepo = Pick<Repository, 'races' | 'history'>;

/** Exactly the history every feature reads (the features cut their reads there too). */
const HISTORY_SEASONS = FEATURE_HISTORY_SEASONS;

async function historyFor(repo: ForecastRepo, raceId: number, asOf: Date, seasons: number) {
  const race = await repo.races.byId(raceId);
  if (!race) throw new NotFoundError('race', raceId);
  const history = await repo.history.load({ fromSeason: race.season - seasons, toSeason: race.season, asOf });
  return { race, history };
}

/**
 * A race's features as of an instant, from the database: what a freeze at `asOf` reads, and what
 * the post-race update learns from; with `gridChanges`, of the race's qualifying as changed (what-if).
 */
export async function raceFeaturesAsOf(repo: ForecastRepo, raceId: number, asOf: Date, gridChanges: readonly GridChange[] = []): Promise<RaceFeatures> {
  const { history } = await historyFor(repo, raceId, asOf, HISTORY_SEASONS);
  return computeRaceFeatures(indexHistory(gridChanges.length ? withGridChanges(history, raceId, gridChanges) : history), raceId, asOf);
}

function withGridChanges(history: History, raceId: number, changes: readonly GridChange[]): History {
  const others = history.qualifying.filter((q) => q.raceId !== raceId);
  return { ...history, qualifying: [...others, ...applyGridChanges(history.qualifying.filter((q) => q.raceId === raceId), changes)] };
}

function entryListOrThrow(raceId: number, asOf: Date, n: number): void {
  if (n === 0) throw new ConflictError(`no entry list is known for race ${raceId} as of ${asOf.toISOString()}`, { raceId, asOf: asOf.toISOString() });
}

/**
 * The trained model as a Forecaster: as-of history from the database → features → network →
 * the pool as learnt up to its latest race (as the backtest forecasts) → simulation. A pool
 * that has learnt a race starting at or after the freeze instant has seen what the forecast
 * must not: refused (409). A network without a pool (trained before the pool) serves alone.
 */
export function createRaceForecaster({ repo, model, version, pool = null }: { repo: ForecastRepo; model: RaceModel; version: string; pool?: PoolArtifact | null }): Forecaster {
  if (model.spec.featureNames.join() !== featureNames.join()) {
    throw new ConflictError(`model ${version} was trained on a different feature set`, { expected: featureNames, got: model.spec.featureNames });
  }
  const coefficients = pool ? learnerOf(pool).current() : null;
  return {
    version,
    async forecast(raceId, asOf, options = {}): Promise<RaceForecast> {
      if (pool?.through && new Date(pool.through.raceStart) >= asOf) {
        const t = pool.through;
        throw new ConflictError(`model ${version} has learnt the result of ${t.season} round ${t.round}, which started at or after this freeze (${asOf.toISOString()}); a forecast by it would have seen the outcome`, {
          raceId,
          asOf: asOf.toISOString(),
          learntThrough: t,
        });
      }
      const features = await raceFeaturesAsOf(repo, raceId, asOf, options.gridChanges);
      entryListOrThrow(raceId, asOf, features.drivers.length);
      // A network without a pool has no grid terms to explain against: no reasons, no head-to-head.
      if (!coefficients) return { raceId, asOf, modelVersion: version, drivers: predictRace(model, features) };
      const { drivers, headToHead } = explainedPooledForecast(model, coefficients, features, poolInputs(model, features));
      return { raceId, asOf, modelVersion: version, drivers, headToHead };
    },
  };
}

/**
 * A baseline as a Forecaster: its slot table (and gap table) is fitted on the races of the
 * `trainSeasons` seasons before the forecast race that finished before `asOf`.
 */
export function createBaselineForecaster({ repo, kind, trainSeasons = 8 }: { repo: ForecastRepo; kind: BaselineKind; trainSeasons?: number }): Forecaster {
  const version = `baseline-${kind}`;
  return {
    version,
    async forecast(raceId, asOf) {
      const { history } = await historyFor(repo, raceId, asOf, Math.max(trainSeasons, HISTORY_SEASONS));
      const ix = indexHistory(history);
      const features = computeRaceFeatures(ix, raceId, asOf);
      entryListOrThrow(raceId, asOf, features.drivers.length);
      const past = pastRaces(history, raceId);
      const slotTable = fitSlotTable(past.map((id) => ({ qualifying: history.qualifying.filter((q) => q.raceId === id), results: ix.byRace.get(id) ?? [] })));
      const gapTable = fitGapTable(past.map((id) => ix.byRace.get(id) ?? []));
      return { raceId, asOf, modelVersion: version, drivers: baselinePrediction(kind, features, slotTable, gapTable) };
    },
  };
}

function pastRaces(history: History, raceId: number): number[] {
  const withResults = new Set(history.results.map((r) => r.raceId));
  return history.races.filter((r) => r.id !== raceId && withResults.has(r.id)).map((r) => r.id);
}

/** The artifact key of a model folder registered as `uri` in `store`. */
export function artifactKeyOf(store: ArtifactStore, uri: string): string {
  const root = store.root.replace(/\/+$/, '');
  if (!uri.startsWith(`${root}/`)) throw new ConflictError(`artifact ${uri} is not in the configured store ${store.root}`);
  return uri.slice(root.length + 1).replace(/\/model\.json$/, '');
}
