import type { ModelVersion } from '../../repository/model-versions-store.js';

/**
 * Whether a registered version may forecast a race frozen at `asOf`: it has seen no result
 * from then on, neither in training (its network's seasons end before the race's season) nor
 * in its pool (the latest race it learnt started before `asOf`). This picks, for any freeze,
 * the version the backtest would have used then. (No TensorFlow here: the predict and read
 * paths import this before any model is loaded.)
 */
export function versionMayForecast(v: Pick<ModelVersion, 'dataToSeason' | 'metrics'>, asOf: Date): boolean {
  if (v.dataToSeason >= asOf.getUTCFullYear()) return false;
  const through = (v.metrics.pool as { learntThrough?: { raceStart?: string } } | undefined)?.learntThrough?.raceStart;
  return through === undefined || new Date(through) < asOf;
}
