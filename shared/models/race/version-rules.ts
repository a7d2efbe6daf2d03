import type { Race } from '../../domain/reference.js';
import type { ModelVersion } from '../../repository/model-versions-store.js';
import { poolSummary, type PoolState, type PoolSummary } from './pool.js';

/** The latest race whose result a version's pool has learnt; no freeze before its start may use the version. */
export interface LearntThrough {
  raceId: number;
  season: number;
  round: number;
  raceStart: string;
}

export const learntThrough = (race: { id: number; season: number; round: number }, raceStart: Date): LearntThrough => ({
  raceId: race.id,
  season: race.season,
  round: race.round,
  raceStart: raceStart.toISOString(),
});

/** `model_versions.metrics.pool`: what the version's pool has learnt and chosen. */
export interface PoolMetrics extends PoolSummary {
  learntThrough: LearntThrough;
}

export const poolMetrics = (through: LearntThrough, state: PoolState): PoolMetrics => ({ learntThrough: through, ...poolSummary(state) });

/**
 * Whether a registered version may forecast a race frozen at `asOf`: it has seen no result
 * from then on, neither in training (its network's seasons end before the race's season) nor
 * in its pool (the latest race it learnt started before `asOf`). This picks, for any freeze,
 * the version the backtest would have used then. (No TensorFlow here: the predict and read
 * paths import this before any model is loaded.)
 */
export function versionMayForecast(v: Pick<ModelVersion, 'dataToSeason' | 'metrics'>, asOf: Date): boolean {
  if (v.dataToSeason >= asOf.getUTCFullYear()) return false;
  const through = (v.metrics.pool as PoolMetrics | undefined)?.learntThrough.raceStart;
  return through === undefined || new Date(through) < asOf;
}

/** The version a forecast names, with the data it has seen (shared/api/schemas.ts modelLabel). */
export interface ModelLabel {
  version: string;
  dataFromSeason: number | null;
  dataToSeason: number | null;
  learntThrough: { season: number; round: number; race: string | null } | null;
  label: string;
}

/**
 * How a forecast names its model: a registered version by the seasons its network was trained
 * on and the last race its pool learnt; anything unregistered is a baseline that reads no
 * training data (the qualifying order).
 */
export function modelLabel(version: string, registered: Pick<ModelVersion, 'dataFromSeason' | 'dataToSeason' | 'metrics'> | undefined, raceName?: string | null): ModelLabel {
  if (!registered) return { version, dataFromSeason: null, dataToSeason: null, learntThrough: null, label: `${version}: a baseline that reads only the qualifying classification, no training data` };
  const through = (registered.metrics.pool as PoolMetrics | undefined)?.learntThrough;
  const seasons = `${registered.dataFromSeason}–${registered.dataToSeason}`;
  const learnt = through && through.season > registered.dataToSeason ? { season: through.season, round: through.round, race: raceName ?? null } : null;
  return {
    version,
    dataFromSeason: registered.dataFromSeason,
    dataToSeason: registered.dataToSeason,
    learntThrough: learnt,
    label: learnt
      ? `${version}: network trained on ${seasons}, updated after every race through ${learnt.season} R${learnt.round}${learnt.race ? ` ${learnt.race}` : ''}`
      : `${version}: network trained on ${seasons}`,
  };
}

/** A pre-weekend learner's state as forecasts name it: the model and the latest race it learnt. */
export function preWeekendLabel(version: string, through: Pick<Race, 'season' | 'round' | 'name'> | null): ModelLabel {
  const what = 'the pre-weekend model (a Plackett–Luce strength over form, team pace, championship and circuit history, learnt after every race)';
  return {
    version,
    dataFromSeason: null,
    dataToSeason: null,
    learntThrough: through ? { season: through.season, round: through.round, race: through.name } : null,
    label: through ? `${version}: ${what} through ${through.season} R${through.round} ${through.name}` : `${version}: ${what}, before it learnt any race`,
  };
}

/** The latest instant whose data a version has seen (as model_versions.data_through derives it). */
export function dataThrough(v: Pick<ModelVersion, 'dataToSeason' | 'metrics'>): number {
  const through = (v.metrics.pool as PoolMetrics | undefined)?.learntThrough.raceStart;
  return Math.max(Date.UTC(v.dataToSeason, 11, 31, 23, 59, 59), through ? new Date(through).getTime() : -Infinity);
}
