import { fieldLapMedians } from '../domain/timing.js';
import { median } from '../evaluation/metrics.js';
import type { AnalyticsLap } from './inputs.js';

/** A lap's field median needs this many clean laps on it; fewer is no field to compare with. */
export const MIN_FIELD_CARS = 5;
/** A race counts for race pace when the car(s) ran this many clean laps on laps with a field median. */
export const MIN_PACE_LAPS = 5;

export interface RacePace {
  /** Median over the clean laps of (lap time − the field's median clean lap on that lap), seconds; negative is faster. */
  deltaSeconds: number;
  /** The same in percent of the field's median lap. */
  deltaPct: number;
  laps: number;
}

/**
 * Race pace in one race: each clean lap of `cars` against the field's median clean lap of the
 * same lap number (the domain's field median, shared/domain/timing.ts), the median of those
 * deltas. `clean` is every car's clean laps of the race (clean-laps.ts); a team passes its two cars.
 */
export function racePace(clean: readonly AnalyticsLap[], cars: ReadonlySet<number>): RacePace | null {
  const counts = new Map<number, number>();
  for (const l of clean) counts.set(l.lap, (counts.get(l.lap) ?? 0) + 1);
  const field = fieldLapMedians(clean);
  const mine = clean.filter((l) => cars.has(l.driverId) && (counts.get(l.lap) ?? 0) >= MIN_FIELD_CARS && l.timeMs != null);
  if (mine.length < MIN_PACE_LAPS) return null;
  return {
    deltaSeconds: median(mine.map((l) => (l.timeMs! - field.get(l.lap)!) / 1000)),
    deltaPct: median(mine.map((l) => ((l.timeMs! - field.get(l.lap)!) / field.get(l.lap)!) * 100)),
    laps: mine.length,
  };
}
