import { beforeAll, describe, expect, it } from 'vitest';
import { featureNames, type FeatureName, type RaceFeatures } from '../../shared/features/race-features.js';
import { explainedPooledForecast, explainPooled, expectedPosition } from '../../shared/models/race/attribution.js';
import { poolInputs, predictPooled } from '../../shared/models/race/pooled-model.js';
import type { PoolCoefficients } from '../../shared/models/race/pool.js';
import type { RaceModel } from '../../shared/models/race/race-model.js';
import { simulateField } from '../../shared/models/race/simulate.js';
import { snapshotHeadToHead, teammatePairs } from '../../shared/domain/head-to-head.js';
import { setupTensorflow, tf } from '../../shared/models/tf.js';

const F = featureNames.length;
const col = (f: FeatureName) => featureNames.indexOf(f);
const gapTable = { gaps: Array.from({ length: 20 }, (_, p) => Array.from({ length: 30 }, (_, k) => (p === 0 ? 0 : p * 4 + (k % 7)))) };
// A grid-slot table where the front wins more often (the pool's grid terms read it).
const slotTable = { slots: Array.from({ length: 20 }, (_, i) => ({ n: 100, win: Math.max(0, 40 - i * 5), podium: Math.max(0, 80 - i * 6), top10: 50, dnf: 8, finishes: [i + 1] })) };

/** A network whose strength reads one feature only (weight w on its standardised value), DNF logit 0. */
function oneFeatureModel(feature: FeatureName, w: number): RaceModel {
  const net = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2 * F], useBias: false })] });
  const kernel = Array.from({ length: 2 * F }, (_, k) => [k === col(feature) ? w : 0, 0]);
  net.setWeights([tf.tensor2d(kernel)]);
  return {
    net,
    spec: {
      kind: 'race', formatVersion: 1, featureNames: [...featureNames], normalisation: { mean: new Array(F).fill(0), std: new Array(F).fill(1) },
      temperature: 1, dnfCalibration: { a: 1, b: 0 }, gapTable, slotTable, samples: 4000,
    },
  };
}

/** 10 entrants in grid order, two a team; team race gain as given; driver form varies too (the network ignores it). */
function race(gains: number[]): RaceFeatures {
  return {
    raceId: 1, seed: 202401, asOf: new Date('2024-03-01T00:00:00Z'),
    drivers: gains.map((g, i) => {
      const values: (number | null)[] = new Array(F).fill(null);
      values[col('qualiPosition')] = i + 1;
      values[col('qualiPositionShare')] = (i + 1) / gains.length;
      values[col('constructorRaceGain')] = g;
      values[col('driverFormPosition')] = 10 - i;
      return { driverId: 100 + i, constructorId: 1 + (i >> 1), values };
    }),
  };
}

const pool = (b: number, teamOffsets?: Record<string, number>): PoolCoefficients & { badRace: number } => ({ strength: [1, 0, b], dnf: [-2.2, 0], badRace: 0.1, ...(teamOffsets ? { teamOffsets } : {}) });

describe('forecast reasons: the model’s departure from the grid, by feature', () => {
  beforeAll(async () => {
    await setupTensorflow({ prefer: 'cpu' });
  });
  // Field mean of the gains is 0: driver 103 (gain 0) sits exactly where the grid puts him.
  const gains = [2, 2, -1, 0, 1, -3, 0.5, -0.5, -2, 1];

  it('a network that reads one feature only: that feature is the top reason, with the sign of its value', () => {
    const model = oneFeatureModel('constructorRaceGain', 0.8);
    const f = race(gains);
    const reasons = explainPooled(model, pool(1), f, poolInputs(model, f)).map((r) => r.slice(1));
    gains.forEach((g, i) => {
      if (Math.abs(g) < 0.5) return;
      const top = reasons[i]![0]!;
      expect(top.feature).toBe('constructorRaceGain');
      expect(top.value).toBe(g);
      // Above the field's mean gain: finishes higher than the grid says (negative places).
      expect(Math.sign(top.effect)).toBe(-Math.sign(g));
      expect(top.text).toContain(g > 0 ? 'better than the grid suggests' : 'worse than the grid suggests');
      // Nothing the network does not read is a reason.
      expect(reasons[i]!.map((r) => r.feature)).toEqual(['constructorRaceGain']);
    });
    // A bigger departure is a bigger effect.
    expect(Math.abs(reasons[5]![0]!.effect)).toBeGreaterThan(Math.abs(reasons[6]![0]!.effect));
  });

  it('a driver the model ranks exactly as the grid has no reasons; with the network off (b = 0) nobody has any', () => {
    const model = oneFeatureModel('constructorRaceGain', 0.8);
    const f = race(gains);
    expect(explainPooled(model, pool(1), f, poolInputs(model, f))[3]!.slice(1)).toEqual([]);
    const off = explainPooled(model, pool(0), f, poolInputs(model, f));
    // Only the overall line, and it says nothing departs from the grid.
    expect(off.every((r) => r.length === 1 && r[0]!.feature === 'overall' && r[0]!.effect === 0)).toBe(true);
    expect(off[0]![0]!.text).toContain('as the grid suggests');
  });

  it('the overall line comes first and has the sign of the whole departure, where a listed reason has the other', () => {
    // The network reads the team's gain (pushes driver 0 forward) and, harder, his poor form
    // (driverFormPosition is high for the front of the grid): in all it pushes him back.
    const net = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2 * F], useBias: false })] });
    net.setWeights([tf.tensor2d(Array.from({ length: 2 * F }, (_, k) => [k === col('constructorRaceGain') ? 0.5 : k === col('driverFormPosition') ? -0.6 : 0, 0]))]);
    const model: RaceModel = { ...oneFeatureModel('constructorRaceGain', 0), net };
    const f = race(gains);
    const inputs = poolInputs(model, f);
    const p = pool(1);
    const [overall, ...rest] = explainPooled(model, p, f, inputs)[0]!;
    const gain = rest.find((r) => r.feature === 'constructorRaceGain')!;
    expect(gain.effect).toBeLessThan(-0.05);
    expect(overall!.feature).toBe('overall');
    expect(overall!.value).toBeNull();
    expect(overall!.valueText).not.toContain('unknown');
    expect(overall!.effect).toBeGreaterThan(0.05);
    expect(overall!.text).toMatch(/^in all: ≈ [0-9.]+ places? worse than the grid suggests \(expected position \d+\.\d, against \d+\.\d from the grid slot alone\)$/);
    // Exactly the expected position under the full strengths against under the grid terms alone.
    const pDnf = inputs.dnfLogit.map(() => 1 / (1 + Math.exp(2.2)));
    const full = inputs.grid.map((g, i) => g[0]! * p.strength[0]! + g[1]! * p.strength[1]! + (inputs.net[i]! - inputs.net.reduce((a, b) => a + b, 0) / inputs.net.length));
    const grid = inputs.grid.map((g) => g[0]! * p.strength[0]! + g[1]! * p.strength[1]!);
    expect(overall!.effect).toBeCloseTo(expectedPosition(0, full, pDnf, 0.1) - expectedPosition(0, grid, pDnf, 0.1), 3);
  });

  it("the network's own reading of the grid slot is what the grid says: a network reading only the slot departs from nothing", () => {
    const model = oneFeatureModel('qualiPosition', -0.8);
    const f = race(gains);
    const reasons = explainPooled(model, pool(1), f, poolInputs(model, f));
    expect(reasons.every((r) => r.length === 1 && Math.abs(r[0]!.effect) < 1e-6)).toBe(true);
  });

  it('the team offset is its own reason, relative to the field', () => {
    const model = oneFeatureModel('constructorRaceGain', 0.8);
    const f = race(gains.map(() => 0));
    const reasons = explainPooled(model, pool(1, { 3: 0.9 }), f, poolInputs(model, f));
    // Team 3 is drivers 104 and 105: pushed up; every other team slightly down.
    expect(reasons[4]![1]!.feature).toBe('teamOffset');
    expect(reasons[4]![1]!.effect).toBeLessThan(-0.1);
    // The offset is part of the whole departure from the grid.
    expect(reasons[4]![0]!.effect).toBeLessThan(-0.1);
    expect(reasons[0]!.every((r) => r.feature !== 'teamOffset' || r.effect > 0)).toBe(true);
  });

  it('explains the entries predictPooled gives (same simulation), the overall line then at most 3 reasons each', () => {
    const model = oneFeatureModel('constructorRaceGain', 0.8);
    const f = race(gains);
    const inputs = poolInputs(model, f);
    const { drivers } = explainedPooledForecast(model, pool(1), f, inputs);
    const { reasons: _r, ...first } = drivers[0]!;
    expect(first).toEqual(predictPooled(model, pool(1), f, inputs)[0]);
    expect(drivers.every((d) => d.reasons![0]!.feature === 'overall' && d.reasons!.length <= 4)).toBe(true);
  });
});

describe('expected position in closed form and head-to-head from the sampled orders', () => {
  const strengths = [1.5, 1.2, 0.4, 0, -0.3, -1];
  const pDnf = [0.05, 0.2, 0.1, 0.3, 0.02, 0.1];
  const sim = simulateField({ strengths, pDnf, gapTable, samples: 20_000, seed: 5, badRace: 0.1, headToHead: true });
  const h = sim.headToHead!;

  it('P(a ahead of b) + P(b ahead of a) = 1 for every pair, 0 on the diagonal', () => {
    for (let i = 0; i < strengths.length; i++) {
      expect(h[i]![i]).toBe(0);
      for (let j = 0; j < strengths.length; j++) if (i !== j) expect(h[i]![j]! + h[j]![i]!).toBeCloseTo(1, 12);
    }
  });

  it('is the same sampled orders as the positions: E[position of i] = 1 + Σ_k P(k ahead of i), exactly', () => {
    sim.drivers.forEach((d, i) => expect(d.expectedPosition).toBeCloseTo(1 + h.reduce((s, row) => s + row[i]!, 0), 10));
  });

  it('the closed-form expected position agrees with the simulation (retirements and bad races included)', () => {
    sim.drivers.forEach((d, i) => expect(expectedPosition(i, strengths, pDnf, 0.1)).toBeCloseTo(d.expectedPosition, 1));
  });

  it('a snapshot keeps it by driver id to 3 decimals, still summing to 1; teammates pair up', () => {
    const drivers = strengths.map((_, i) => ({ driverId: 10 + i, constructorId: 1 + (i >> 1) }));
    const stored = snapshotHeadToHead({ drivers: drivers as never, headToHead: h });
    expect(stored!.driverIds).toEqual([10, 11, 12, 13, 14, 15]);
    expect(stored!.p[0]![1]! + stored!.p[1]![0]!).toBeCloseTo(1, 12);
    expect(Math.abs(stored!.p[0]![1]! - h[0]![1]!)).toBeLessThanOrEqual(0.0005 + 1e-12);
    const pairs = teammatePairs(stored!, drivers);
    expect(pairs.map((p) => [p.a, p.b])).toEqual([[10, 11], [12, 13], [14, 15]]);
    expect(pairs[0]!.pAhead).toBeGreaterThan(0.5);
  });
});
