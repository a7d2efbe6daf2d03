import type { Compound } from '../domain/reference.js';
import { median, slope } from '../evaluation/metrics.js';
import type { AnalyticsLap } from './inputs.js';

/** A stint counts for degradation with this many clean laps on one compound. */
export const MIN_STINT_LAPS = 5;

export const COMPOUNDS = ['SOFT', 'MEDIUM', 'HARD', 'INTERMEDIATE', 'WET'] as const satisfies readonly Compound[];

export interface StintSlope {
  raceId: number;
  driverId: number;
  stint: number;
  compound: (typeof COMPOUNDS)[number];
  laps: number;
  /** Least-squares slope of the clean lap times on the lap number, s/lap: positive is the tyre slowing. Fuel burn (cars lighten by roughly 0.03–0.06 s/lap) is not removed, so it understates wear. */
  secondsPerLap: number;
}

/**
 * The degradation slope of each stint of `cars` with at least MIN_STINT_LAPS clean laps
 * (clean-laps.ts) on one known compound; a stint whose laps name two compounds is left out.
 */
export function stintSlopes(clean: readonly AnalyticsLap[], cars: ReadonlySet<number>): StintSlope[] {
  const stints = new Map<string, AnalyticsLap[]>();
  for (const l of clean) {
    if (!cars.has(l.driverId) || l.stint == null || l.timeMs == null) continue;
    const key = `${l.raceId}/${l.driverId}/${l.stint}`;
    if (!stints.has(key)) stints.set(key, []);
    stints.get(key)!.push(l);
  }
  const out: StintSlope[] = [];
  for (const laps of stints.values()) {
    const compounds = new Set(laps.map((l) => l.compound));
    const compound = laps[0]!.compound;
    if (compounds.size !== 1 || !COMPOUNDS.includes(compound as (typeof COMPOUNDS)[number]) || laps.length < MIN_STINT_LAPS) continue;
    const s = slope(laps.map((l) => l.lap), laps.map((l) => l.timeMs! / 1000));
    if (!Number.isFinite(s)) continue;
    out.push({ raceId: laps[0]!.raceId, driverId: laps[0]!.driverId, stint: laps[0]!.stint!, compound: compound as StintSlope['compound'], laps: laps.length, secondsPerLap: s });
  }
  return out;
}

export interface CompoundDegradation {
  compound: StintSlope['compound'];
  /** Median of the stints' slopes, s/lap. */
  medianSecondsPerLap: number;
  stints: number;
  races: number;
}

/** Per compound (in COMPOUNDS order, those with stints only): the median stint slope. */
export function degradationByCompound(stints: readonly StintSlope[]): CompoundDegradation[] {
  return COMPOUNDS.flatMap((compound) => {
    const on = stints.filter((s) => s.compound === compound);
    return on.length ? [{ compound, medianSecondsPerLap: median(on.map((s) => s.secondsPerLap)), stints: on.length, races: new Set(on.map((s) => s.raceId)).size }] : [];
  });
}
