import { createHash } from 'node:crypto';
import { freezeWindow, policyKey, type FreezePolicy } from '../domain/freeze-policy.js';
import type { CurrentForecaster } from '../domain/forecast.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { Repository } from '../repository/index.js';
import type { Clock } from '../clock.js';
import type { Prediction, PredictionEntry, SnapshotKind } from '../domain/prediction.js';
import { matchRace } from './race-match.js';
import type { LruCache } from '../cache/lru-cache.js';
import type { TtlCache } from '../cache/ttl-cache.js';
import type { PredictionRef } from '../repository/predictions-store.js';
import type { Race } from '../domain/reference.js';
import { forecastConfidence, validateForecast } from './validate-forecast.js';
import { weatherAtFreeze } from './freeze-weather.js';
import { snapshotHeadToHead } from '../domain/head-to-head.js';
import type { RaceWeatherRefresh } from '../domain/weather.js';

export interface RaceRef {
  year: number;
  race: string;
}

/** What a freeze is asked for: a race, and whether a labelled retrospective snapshot is wanted. */
export interface FreezeRequest extends RaceRef {
  retrospective?: boolean;
  /** Which forecast: the configured policy's (default), or the pre-weekend one. */
  policy?: 'configured' | 'pre_weekend';
}

/** The first season pitwall forecasts: its models and their walk-forward backtest start there. */
export const FIRST_FORECAST_SEASON = 2014;

export interface PredictDeps {
  repo: Repository;
  clock: Clock;
  policy: FreezePolicy;
  /** The model version for a freeze (the trained model, or a baseline when none may forecast it). */
  forecaster: CurrentForecaster;
  /** The pre-weekend forecast: its policy (pre_weekend, N hours before first practice) and model. */
  preWeekend?: { policy: FreezePolicy; forecaster: CurrentForecaster };
  /** Frozen snapshots already read by this instance, by id. */
  snapshots?: LruCache<Prediction>;
  /** Race + model version → frozen snapshot ref; a frozen snapshot is never deleted, so never stale. */
  frozenRefs?: LruCache<PredictionRef | undefined, string>;
  /** The season calendars, re-read after a short TTL. */
  seasons?: TtlCache<Race[], number>;
  /** A pre-race strategy forecast (stops, first pit window) each entry carries, if any. */
  strategy?: (race: Race) => Promise<object | null>;
  /** Fetches and stores the race-day forecast; tried once per freeze, a failure only becomes the recorded reason. */
  weather?: RaceWeatherRefresh;
}

export interface PredictOutcome {
  prediction: Prediction;
  /** True for the one call that froze it; later and concurrent calls get false. */
  created: boolean;
}

/** A season that has no races: which ones exist. */
export async function missingSeason(repo: Repository, season: number) {
  const seasons = await repo.races.seasons();
  const [first, last] = [Math.min(...seasons), Math.max(...seasons)];
  const range = seasons.length === 0 ? 'no season is loaded yet (npx pitwall ingest)' : first === last ? `only season ${first} is loaded` : `seasons ${first}–${last} are loaded`;
  return new NotFoundError('season', season, range);
}

export async function findRace(repo: Repository, ref: RaceRef, seasons?: TtlCache<Race[], number>) {
  const races = seasons ? await seasons.get(ref.year, () => repo.races.listSeason(ref.year)) : await repo.races.listSeason(ref.year);
  if (races.length === 0) throw await missingSeason(repo, ref.year);
  try {
    return matchRace(races, ref.year, ref.race);
  } catch (err) {
    if (!(err instanceof NotFoundError) || /^\d+$/.test(ref.race.trim())) throw err;
  }
  // Not a race name: try the circuits (loaded only then; most calls name the race).
  const circuits = new Map((await repo.reference.circuits()).filter((c) => races.some((r) => r.circuitId === c.id)).map((c) => [c.id, c]));
  return matchRace(races, ref.year, ref.race, circuits);
}

/** The policy and model a request freezes under: the configured one, or the pre-weekend one. */
export function freezeOf(deps: Pick<PredictDeps, 'policy' | 'forecaster' | 'preWeekend'>, ref: Pick<FreezeRequest, 'policy'>): { policy: FreezePolicy; forecaster: CurrentForecaster } {
  if (ref.policy !== 'pre_weekend') return { policy: deps.policy, forecaster: deps.forecaster };
  if (!deps.preWeekend) throw new ValidationError('this deployment freezes no pre-weekend forecast', [{ path: 'policy', message: 'pre_weekend is not configured here' }]);
  return deps.preWeekend;
}

/**
 * Freezes the forecast of a race under the freeze policy, once per model version and kind. A
 * frozen snapshot is returned as is; otherwise the features are built as of the policy's
 * freeze instant (never "now": a late freeze sees no more than a timely one), by the latest
 * model that has seen nothing from that instant on. After the race start a forecast can no
 * longer be frozen: the request gets the official one, or is refused unless it asks for a
 * retrospective snapshot (labelled, never official, never scored).
 */
export async function predict(deps: PredictDeps, ref: FreezeRequest): Promise<PredictOutcome> {
  if (ref.year < FIRST_FORECAST_SEASON) {
    throw new ValidationError(`pitwall forecasts races from ${FIRST_FORECAST_SEASON} on (its models and their backtest start there); ${ref.year} is earlier`, [
      { path: 'year', message: `must be ${FIRST_FORECAST_SEASON} or later` },
    ]);
  }
  const race = await findRace(deps.repo, ref, deps.seasons);
  const { policy, forecaster: forecasterAt } = freezeOf(deps, ref);
  const window = freezeWindow(race, policy);
  const now = deps.clock.now();
  const kind: SnapshotKind = ref.retrospective ? 'retrospective' : 'forecast';
  if (now < window.allowedAt) {
    throw new ConflictError(`the ${policy.kind} policy allows freezing ${race.name} ${race.season} from ${window.allowedAt.toISOString()}`, {
      raceId: race.id,
      allowedAt: window.allowedAt.toISOString(),
      policy: policy.kind,
    });
  }
  const forecaster = await forecasterAt(window.allowedAt);
  const key = { raceId: race.id, modelVersion: forecaster.version, policy, kind };
  const refKey = `${race.id}/${forecaster.version}/${policyKey(policy)}/${kind}`;
  const started = now >= window.raceStartsAt;
  const findFrozen = async () =>
    (await deps.repo.predictions.refByKey(key)) ?? (started && kind === 'forecast' ? await deps.repo.predictions.officialRef(race.id, policy) : undefined);
  // A found ref is kept (a frozen snapshot never changes); a miss is not: the freeze may come any moment.
  const frozen = deps.frozenRefs ? await deps.frozenRefs.getOrLoad(refKey, findFrozen) : await findFrozen();
  if (frozen) {
    const load = async () => (await deps.repo.predictions.byId(frozen.id))!;
    return { prediction: deps.snapshots ? await deps.snapshots.getOrLoad(frozen.id, load) : await load(), created: false };
  }
  if (started && kind === 'forecast') {
    throw new ConflictError(
      `${race.name} ${race.season} started at ${window.raceStartsAt.toISOString()} and no forecast was frozen before it; ` +
        'a snapshot frozen now would not be a forecast. Ask for retrospective=true to freeze a labelled retrospective snapshot, which is never scored',
      { raceId: race.id, raceStartsAt: window.raceStartsAt.toISOString() },
    );
  }

  // A pre-weekend forecast has no qualifying: its entry list is the forecaster's (the latest line-up).
  const preWeekend = policy.kind === 'pre_weekend';
  const qualified = preWeekend ? [] : (await deps.repo.reference.qualifying(race.id)).map((q) => q.driverId);
  if (!preWeekend && qualified.length === 0) {
    throw new ConflictError(`no qualifying classification (entry list) for ${race.name} ${race.season} is stored yet: ingest it, then freeze`, { raceId: race.id });
  }
  // Independent reads: on PostgreSQL they overlap.
  const [forecast, strategy, weather] = await Promise.all([
    forecaster.forecast(race.id, window.allowedAt),
    preWeekend ? null : (deps.strategy?.(race) ?? null),
    weatherAtFreeze(deps, race, now, window.raceStartsAt),
  ]);
  const entrants = preWeekend ? forecast.drivers.map((d) => d.driverId) : qualified;
  const checked = validateForecast(forecast, entrants);
  const warnings = [...checked.warnings];
  if (started) warnings.push(`retrospective: frozen after the race start; features as of ${window.allowedAt.toISOString()}`);
  const inputsHash = createHash('sha256')
    .update(
      JSON.stringify({ raceId: race.id, asOf: window.allowedAt.toISOString(), model: forecaster.version, entrants: [...entrants].sort((a, b) => a - b), forecast: forecast.drivers, strategy }),
    )
    .digest('hex');

  return deps.repo.withTransaction((trx) =>
    trx.predictions.freeze({
      raceId: race.id,
      modelVersion: forecaster.version,
      kind,
      clock: deps.clock.kind,
      createdAt: now,
      freezePolicy: policy,
      snapshotAt: window.allowedAt,
      sessionType: window.sessionType,
      inputsHash,
      confidence: forecastConfidence(checked.entries.map((e) => e.pWin)),
      featureCoverage: checked.featureCoverage,
      imputedCount: checked.imputedCount,
      warnings,
      entries: checked.entries.map((e) => ({ ...e, strategy: strategy as PredictionEntry['strategy'] })),
      // Not in inputsHash: no model reads it yet (the hash covers what the forecast was built from); the row is immutable anyway.
      weather,
      headToHead: snapshotHeadToHead(forecast),
    }),
  );
}
