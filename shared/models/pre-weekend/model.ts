import type { DriverForecast } from '../../domain/forecast.js';
import { preWeekendFreeze, type HistoryRace } from '../../domain/history.js';
import type { OutcomeRow } from '../../domain/race-outcome.js';
import { computeRaceFeatures, featureNames, type HistoryIndex, type RaceFeatures } from '../../features/race-features.js';
import { fitGapTable, type GapTable } from '../race/gap-table.js';
import { defaultPoolSettings, poolDnf, poolStrengths, PoolLearner, type PoolEvidence, type PoolSettings, type PoolState } from '../race/pool.js';
import { POOL_BAD_RACE, poolEvidence, simulatePool, simulatePoolField } from '../race/pooled-model.js';
import { placesOf } from '../race/attribution.js';
import { reasonOf, topReasons } from '../../features/feature-labels.js';
import { preWeekendInputs, preWeekendTermNames, preWeekendTerms } from './terms.js';

/**
 * The pre-weekend model: a linear Plackett–Luce strength over the pre-weekend terms
 * (terms.ts), learnt by the race model's pool learner (pool.ts) with the terms in place of
 * the grid terms and no network: refitted after every race on the races before, each
 * weighted by recency, its half-life, team offsets and bad-race probability chosen
 * prequentially. So the forecast of a race is what the learner knew before it, nothing tuned
 * on the race itself; the same learner serves the backtest and production.
 */

/**
 * Set before any run and checked on the 2009–2013 validation seasons before the one 2014–2024
 * run (bench/README.md "Pre-weekend forecast"): the first ten places weighted (the winner three
 * times: the whole order matters here, not only the front), half-lives 16–128 races (form
 * changes slower than the grid pool's), the pool's team-offset candidates, bad-race 0–0.1.
 */
export const preWeekendPoolSettings: PoolSettings = {
  halfLives: [16, 32, 64, 128],
  ridgeNetwork: 1,
  burnIn: 20,
  start: new Array<number>(preWeekendTermNames.length + 1).fill(0),
  placeWeights: [3, 1, 1, 1, 1, 1, 1, 1, 1, 1],
  teamCandidates: defaultPoolSettings.teamCandidates,
  badRaces: [0.05, 0, 0.1],
};

export const PRE_WEEKEND_SAMPLES = 4000;

export const newPreWeekendLearner = () => new PoolLearner(preWeekendPoolSettings);

/** What the learner learns of a finished race: its pre-weekend terms joined with the result. */
export function preWeekendEvidence(features: RaceFeatures, results: readonly OutcomeRow[]): PoolEvidence {
  return poolEvidence(features.raceId, features, preWeekendInputs(features), results);
}

/** The pre-weekend forecast of a race from the learner's current state (the backtest's; explainedPreWeekend adds the reasons). */
export function predictPreWeekend(pool: PoolState, features: RaceFeatures, gapTable: GapTable): DriverForecast[] {
  return simulatePool({ gapTable, samples: PRE_WEEKEND_SAMPLES, featureNames: preWeekendTermNames as string[] }, pool, features, preWeekendInputs(features));
}

const AGAINST = 'an average driver in this field';

/**
 * The forecast as production freezes it: the same entries as predictPreWeekend (the same
 * simulation input and seed), each with its biggest reasons, and the head-to-head shares of
 * the same sampled orders. The strength is linear in the terms, so a term's part in a driver's
 * departure from the field's average is exactly c_g·(x_g − field mean of x_g); the newcomer
 * indicator is read with the driver's form (it is that form's absence), the team offset on its
 * own. Each part is read as places, as the race model's reasons are (attribution.ts placesOf).
 */
export function explainedPreWeekend(pool: PoolState, features: RaceFeatures, gapTable: GapTable): { drivers: DriverForecast[]; headToHead: number[][] } {
  const inputs = preWeekendInputs(features);
  const field = simulatePoolField({ gapTable, samples: PRE_WEEKEND_SAMPLES, featureNames: preWeekendTermNames as string[] }, pool, features, inputs);
  const strengths = poolStrengths(pool, inputs);
  const pDnf = poolDnf(pool, inputs.dnfLogit);
  const badRace = pool.badRace ?? POOL_BAD_RACE;
  const n = features.drivers.length;
  const P = preWeekendTerms.length;
  const means = inputs.grid[0]!.map((_, k) => inputs.grid.reduce((sum, x) => sum + x[k]!, 0) / n);
  const offsetOf = (i: number) => pool.teamOffsets?.[String(inputs.teams[i])] ?? 0;
  const meanOffset = inputs.teams.reduce((sum, _, i) => sum + offsetOf(i), 0) / n;
  const column = new Map(featureNames.map((f, j) => [f, j]));
  const drivers = field.drivers.map((d, i) => {
    const part = (k: number) => pool.strength[k]! * (inputs.grid[i]![k]! - means[k]!);
    const reasons = preWeekendTerms.map((t, k) => {
      const delta = part(k) + (t.feature === 'driverFormPosition' ? part(P) : 0);
      return reasonOf(t.feature, features.drivers[i]!.values[column.get(t.feature)!] ?? null, placesOf(i, delta, strengths, pDnf, badRace), AGAINST);
    });
    if (pool.teamOffsets) reasons.push(reasonOf('teamOffset', offsetOf(i), placesOf(i, offsetOf(i) - meanOffset, strengths, pDnf, badRace), AGAINST));
    return { ...d, reasons: topReasons(reasons) };
  });
  return { drivers, headToHead: field.headToHead! };
}

/** Each entrant's Plackett–Luce strength and P(DNF) under the learner's state: what a race simulation draws from. */
export interface EntrantStrength {
  driverId: number;
  constructorId: number;
  strength: number;
  pDnf: number;
}

export function preWeekendStrengths(pool: PoolState, features: RaceFeatures): EntrantStrength[] {
  const inputs = preWeekendInputs(features);
  const s = poolStrengths(pool, inputs);
  const p = poolDnf(pool, inputs.dnfLogit);
  return features.drivers.map((d, i) => ({ driverId: d.driverId, constructorId: d.constructorId, strength: s[i]!, pDnf: p[i]! }));
}

/** A race's features at its pre-weekend freeze, or null when no entry list is known then. */
export function preWeekendFeatures(ix: HistoryIndex, race: HistoryRace, hours: number): RaceFeatures | null {
  try {
    const f = computeRaceFeatures(ix, race.id, preWeekendFreeze(race, hours));
    return f.drivers.length >= 2 ? f : null;
  } catch {
    return null;
  }
}

export interface WalkStep {
  race: HistoryRace;
  features: RaceFeatures;
  /** The learner's state before this race's result: what forecast it. */
  before: PoolState;
  /** The learner itself, after it learnt this race's result (if it had one). */
  learner: PoolLearner;
}

/**
 * The learner's walk through races in calendar order, as production runs it: each race is seen
 * at its pre-weekend freeze with the state learnt from the races before, then its result is
 * learnt. `learner` resumes a stored walk.
 */
export function* preWeekendWalk(ix: HistoryIndex, races: readonly HistoryRace[], hours: number, learner: PoolLearner = newPreWeekendLearner()): Generator<WalkStep> {
  const ordered = [...races].sort((a, b) => a.raceStart.getTime() - b.raceStart.getTime());
  for (const race of ordered) {
    const features = preWeekendFeatures(ix, race, hours);
    if (!features) continue;
    const before = learner.current();
    const results = ix.byRace.get(race.id) ?? [];
    if (results.length) learner.observe(preWeekendEvidence(features, results));
    yield { race, features, before, learner };
  }
}

/** Seasons of finished races the gap table (and the baselines' slot lookups) learn from: the race's own and the 8 before. */
export const PRE_WEEKEND_TABLE_SEASONS = 8;

/** The race-time gaps a pre-weekend forecast samples: of the races of the last seasons that started before `t`. */
export function preWeekendGapTable(ix: HistoryIndex, season: number, t: number): GapTable {
  const past = [...ix.races.values()].filter((r) => r.season >= season - PRE_WEEKEND_TABLE_SEASONS && r.season <= season && r.raceStart.getTime() < t && ix.byRace.has(r.id));
  return fitGapTable(past.sort((a, b) => a.raceStart.getTime() - b.raceStart.getTime()).map((r) => ix.byRace.get(r.id)!));
}
