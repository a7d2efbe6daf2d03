import type { DriverForecast } from '../../domain/forecast.js';
import { raceOutcome, type OutcomeRow } from '../../domain/race-outcome.js';
import { ConflictError } from '../../errors.js';
import type { RaceFeatures } from '../../features/race-features.js';
import { gridSlots, slotRate, type SlotTable } from './baselines.js';
import { poolDnf, poolStrengths, type PoolCoefficients, type PoolEvidence, type PoolInputsOf } from './pool.js';
import { driverForecasts, rawOutputs, type RaceModel, type RaceModelSpec } from './race-model.js';
import { simulateField } from './simulate.js';

/**
 * The forecast as production makes it: the season's network (fitted before round 1 on the
 * seasons before) read through the pool of the grid and the network as refitted after the
 * latest result (pool.ts), then the coherent Monte Carlo of simulate.ts.
 */

/**
 * The grid terms of the pool: the log of the grid-slot lookup's P(win) from the slot (so at
 * b = 0 the pool can reproduce the lookup's win probabilities) and the log of the slot (the
 * shape of the order behind the front). Chosen on the 2008–2013 validation backtest over
 * log(slot) and slot alone, and beside log P(top 10).
 */
export function gridTerms(table: SlotTable, slot: number): number[] {
  return [Math.log(slotRate(table, slot, 'win')), Math.log(Math.max(1, slot))];
}

export interface PoolInputs extends PoolInputsOf {
  dnfLogit: number[];
  imputed: number[];
}

/** What the pool reads of a race at its freeze: the grid terms, the teams, the network's outputs. */
export function poolInputs(model: RaceModel, features: RaceFeatures): PoolInputs {
  const table = model.spec.slotTable;
  if (!table) throw new ConflictError('this race model has no grid-slot table (trained before the pool): retrain it');
  const out = rawOutputs(model, features);
  return {
    grid: gridSlots(features).map((slot) => gridTerms(table, slot)),
    teams: features.drivers.map((d) => d.constructorId),
    net: out.strength,
    dnfLogit: out.dnfLogit,
    imputed: out.imputed,
  };
}

/** A race's pool inputs joined with its result: what the pool learns after the race. */
export function poolEvidence(raceId: number, features: RaceFeatures, inputs: PoolInputs, results: readonly OutcomeRow[]): PoolEvidence {
  const index = new Map(features.drivers.map((d, i) => [d.driverId, i]));
  const outcome = new Map(raceOutcome(results, (id) => index.has(id)).map((o) => [o.driverId, o]));
  const finishers = [...outcome.values()].filter((o) => !o.dnf).sort((a, b) => a.finish - b.finish).map((o) => index.get(o.driverId)!);
  return {
    raceId,
    seed: features.seed,
    grid: inputs.grid,
    teams: inputs.teams,
    net: inputs.net,
    dnfLogit: inputs.dnfLogit,
    finishers,
    dnf: features.drivers.map((d) => {
      const o = outcome.get(d.driverId);
      return o ? (o.dnf ? 1 : 0) : null;
    }),
  };
}

/**
 * The simulation's bad-race probability (see simulateRace) of a pool stored before the pool
 * chose it: 0.1, chosen on the 2008–2013 validation backtest among 0, 0.03, 0.06, 0.08, 0.1 and
 * 0.13 (top-10 ECE .044 at 0, .015 at 0.1).
 */
export const POOL_BAD_RACE = 0.1;

export function predictPooled(model: RaceModel, pool: PoolCoefficients & { badRace?: number }, features: RaceFeatures, inputs = poolInputs(model, features)): DriverForecast[] {
  return simulatePool(model.spec, pool, features, inputs);
}

/** A pool's strengths and DNF probabilities through the simulation: the forecast entries of any pooled model. */
export function simulatePool(spec: Pick<RaceModelSpec, 'gapTable' | 'samples' | 'featureNames' | 'gapInterval'>, pool: PoolCoefficients & { badRace?: number }, features: RaceFeatures, inputs: PoolInputs): DriverForecast[] {
  return simulatePoolField(spec, pool, features, inputs, false).drivers;
}

/** simulatePool, with (when asked) the head-to-head shares of the same sampled orders, in features order (simulate.ts simulateField). */
export function simulatePoolField(
  spec: Pick<RaceModelSpec, 'gapTable' | 'samples' | 'featureNames' | 'gapInterval'>,
  pool: PoolCoefficients & { badRace?: number },
  features: RaceFeatures,
  inputs: PoolInputs,
  headToHead = true,
): { drivers: DriverForecast[]; headToHead: number[][] | null } {
  const { gapTable, samples, featureNames: names, gapInterval } = spec;
  const sim = simulateField({
    ...(gapInterval ? { gapInterval } : {}),
    strengths: poolStrengths(pool, inputs),
    pDnf: poolDnf(pool, inputs.dnfLogit),
    gapTable,
    samples,
    seed: features.seed,
    badRace: pool.badRace ?? POOL_BAD_RACE,
    headToHead,
  });
  return { drivers: driverForecasts(features, sim.drivers, inputs.imputed, names.length), headToHead: sim.headToHead };
}
