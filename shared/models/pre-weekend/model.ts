import type { DriverForecast } from '../../domain/forecast.js';
import { preWeekendFreeze, type HistoryRace } from '../../domain/history.js';
import type { OutcomeRow } from '../../domain/race-outcome.js';
import { computeRaceFeatures, type HistoryIndex, type RaceFeatures } from '../../features/race-features.js';
import type { GapTable } from '../race/gap-table.js';
import { defaultPoolSettings, poolDnf, poolStrengths, PoolLearner, type PoolEvidence, type PoolSettings, type PoolState } from '../race/pool.js';
import { poolEvidence, simulatePool } from '../race/pooled-model.js';
import { preWeekendInputs, preWeekendTermNames } from './terms.js';

/**
 * The pre-weekend model: a linear Plackett–Luce strength over the pre-weekend terms
 * (terms.ts), learnt by the race model's pool learner (pool.ts) with the terms in place of
 * the grid terms and no network: refitted after every race on the races before, each
 * weighted by recency, its half-life, team offsets and bad-race probability chosen
 * prequentially. So the forecast of a race is what the learner knew before it, nothing tuned
 * on the race itself; the same learner serves the backtest and production.
 */

/**
 * Chosen on the 2009–2013 validation seasons (see bench/README.md "Pre-weekend"): the first
 * ten places weighted (the winner three times), half-lives 16–128 races, the pool's
 * team-offset candidates, bad-race 0–0.1.
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

/** The pre-weekend forecast of a race from the learner's current state. */
export function predictPreWeekend(pool: PoolState, features: RaceFeatures, gapTable: GapTable): DriverForecast[] {
  return simulatePool({ gapTable, samples: PRE_WEEKEND_SAMPLES, featureNames: preWeekendTermNames as string[] }, pool, features, preWeekendInputs(features));
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
