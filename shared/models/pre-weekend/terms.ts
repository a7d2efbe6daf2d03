import { featureNames, type FeatureName, type RaceFeatures } from '../../features/race-features.js';
import type { PoolInputs } from '../race/pooled-model.js';

/**
 * What the pre-weekend model reads of a race: the race features as of its pre-weekend freeze
 * (nothing of the weekend: no practice, qualifying or sprint), each as a term of a linear
 * Plackett–Luce strength. Fixed scales and fixed values for an unknown feature, not fitted
 * ones, so a forecast needs nothing but the learner's coefficients and is the same in the
 * backtest and in production. An unknown driver form is a newcomer: it gets its own term.
 */
export interface PreWeekendTerm {
  feature: FeatureName;
  /** Stands in for an unknown value (a newcomer, the first race of a season). */
  missing: number;
  /** Divides the value, so every term is of order 1 (the ridge treats them alike). */
  scale: number;
}

export const preWeekendTerms: readonly PreWeekendTerm[] = [
  { feature: 'driverFormPosition', missing: 15, scale: 10 },
  { feature: 'driverFormPoints', missing: 0, scale: 10 },
  { feature: 'constructorFormPosition', missing: 15, scale: 10 },
  { feature: 'constructorFormPoints', missing: 0, scale: 10 },
  { feature: 'teammateFinishShare', missing: 0.5, scale: 1 },
  { feature: 'driverCircuitPosition', missing: 12, scale: 10 },
  { feature: 'constructorCircuitPosition', missing: 12, scale: 10 },
  { feature: 'championshipPosition', missing: 15, scale: 10 },
  { feature: 'championshipPointsShare', missing: 0.3, scale: 1 },
  { feature: 'constructorChampionshipPosition', missing: 6, scale: 10 },
  { feature: 'experience', missing: 0, scale: 3 },
  { feature: 'constructorQualiGapPct', missing: 2.5, scale: 1 },
  { feature: 'constructorRaceGain', missing: 0, scale: 5 },
  { feature: 'driverDnfRate', missing: 0.15, scale: 1 },
  { feature: 'constructorMechanicalRate', missing: 0.1, scale: 1 },
];

/** The newcomer term's name (a driver with no recent start in the feature window). */
export const NEWCOMER = 'newcomer';

/** Term names in coefficient order: the features, then the newcomer indicator. */
export const preWeekendTermNames: readonly string[] = [...preWeekendTerms.map((t) => t.feature), NEWCOMER];

const column = new Map(featureNames.map((n, i) => [n, i]));
const formColumn = column.get('driverFormPosition')!;
const dnfColumn = column.get('driverDnfRate')!;

/** One entrant's terms (preWeekendTermNames order). */
export function termsOf(values: readonly (number | null)[]): number[] {
  const x = preWeekendTerms.map((t) => {
    const v = values[column.get(t.feature)!];
    return (v === null || v === undefined || !Number.isFinite(v) ? t.missing : v) / t.scale;
  });
  x.push(values[formColumn] === null ? 1 : 0);
  return x;
}

const logit = (p: number) => Math.log(p / (1 - p));

/**
 * The pool's inputs for the pre-weekend model: the terms in place of the grid terms, no
 * network (its weight multiplies zeros), and as the DNF score the logit of the driver's
 * decayed DNF rate, which the pool calibrates (σ(d0 + d1·z)).
 */
export function preWeekendInputs(features: RaceFeatures): PoolInputs {
  return {
    grid: features.drivers.map((d) => termsOf(d.values)),
    teams: features.drivers.map((d) => d.constructorId),
    net: features.drivers.map(() => 0),
    dnfLogit: features.drivers.map((d) => logit(Math.min(0.9, Math.max(0.02, d.values[dnfColumn] ?? 0.15)))),
    imputed: features.drivers.map((d) => preWeekendTerms.filter((t) => d.values[column.get(t.feature)!] === null).length),
  };
}
