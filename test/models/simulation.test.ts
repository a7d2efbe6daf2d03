import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/evaluation/bootstrap.js';
import { featureNames, type RaceFeatures } from '../../shared/features/race-features.js';
import { baselineKinds, baselinePrediction, fitSlotTable, scaleToSum } from '../../shared/models/race/baselines.js';
import { fitPlatt, fitTemperature, plackettLuceLogLik, sigmoid } from '../../shared/models/race/calibrate.js';
import { medianFromCounts, simulateRace } from '../../shared/models/race/simulate.js';

const gapTable = { gaps: Array.from({ length: 20 }, (_, p) => Array.from({ length: 30 }, (_, k) => (p === 0 ? 0 : p * 4 + (k % 7)))) };

describe('Plackett–Luce simulation', () => {
  const strengths = Array.from({ length: 20 }, (_, i) => 2 - i * 0.2);
  const pDnf = strengths.map((_, i) => 0.05 + (i % 3) * 0.03);
  const sim = simulateRace({ strengths, pDnf, gapTable, samples: 4000, seed: 11 });

  it('probabilities are coherent across the field: win 1, podium 3, top 10 10', () => {
    const sum = (k: 'pWin' | 'pPodium' | 'pTop10') => sim.reduce((s, d) => s + d[k], 0);
    expect(sum('pWin')).toBeCloseTo(1, 10);
    expect(sum('pPodium')).toBeCloseTo(3, 10);
    expect(sum('pTop10')).toBeCloseTo(10, 10);
    for (const d of sim) {
      expect(d.pWin).toBeLessThanOrEqual(d.pPodium);
      expect(d.pPodium).toBeLessThanOrEqual(d.pTop10);
    }
  });

  it('small fields: P(top 10) sums to the field size', () => {
    const s = simulateRace({ strengths: [1, 0, -1], pDnf: [0, 0, 0], gapTable, samples: 500, seed: 1 });
    expect(s.reduce((a, d) => a + d.pTop10, 0)).toBeCloseTo(3);
    expect(s.reduce((a, d) => a + d.pPodium, 0)).toBeCloseTo(3);
  });

  it('the predicted order is a ranking 1..n without ties, following strength', () => {
    const ranks = sim.map((d) => d.predictedPosition);
    expect([...ranks].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Equal strengths still give distinct ranks.
    const tied = simulateRace({ strengths: [0, 0, 0, 0], pDnf: [0, 0, 0, 0], gapTable, samples: 200, seed: 2 });
    expect(new Set(tied.map((d) => d.predictedPosition)).size).toBe(4);
    expect(sim[0]!.predictedPosition).toBe(1);
    expect(sim[0]!.pWin).toBeGreaterThan(sim[5]!.pWin);
  });

  it('expected positions average to (n+1)/2 and gap intervals are ordered', () => {
    expect(sim.reduce((a, d) => a + d.expectedPosition, 0) / 20).toBeCloseTo(10.5);
    for (const d of sim) expect(d.gapLowSeconds).toBeLessThanOrEqual(d.gapHighSeconds);
    expect(sim[19]!.gapSeconds).toBeGreaterThan(sim[0]!.gapSeconds);
  });

  it('gaps never fall along the predicted order, even when a lapped-prone car has few timed finishes', () => {
    // Lap-dependent gap table: the back of the field is rarely on the lead lap (null gaps).
    const lapped = { gaps: Array.from({ length: 20 }, (_, p) => Array.from({ length: 30 }, (_, k) => (p === 0 ? 0 : p > 12 && k % 5 !== 0 ? null : p * 3 + (k % 11)))) };
    const dnfHeavy = strengths.map((_, i) => (i % 4 === 3 ? 0.6 : 0.05));
    const out = simulateRace({ strengths, pDnf: dnfHeavy, gapTable: lapped, samples: 2000, seed: 3 });
    const byPosition = [...out].sort((a, b) => a.predictedPosition - b.predictedPosition);
    for (let k = 1; k < byPosition.length; k++) {
      expect(byPosition[k]!.gapSeconds).toBeGreaterThanOrEqual(byPosition[k - 1]!.gapSeconds);
    }
    for (const d of out) {
      expect(d.gapLowSeconds).toBeLessThanOrEqual(d.gapSeconds);
      expect(d.gapSeconds).toBeLessThanOrEqual(d.gapHighSeconds);
    }
  });

  it('median positions agree with the sampled distribution the probabilities are shares of', () => {
    // P(pos ≤ k) above one half puts the sample median at or before k, below one half after it.
    for (const d of sim) {
      expect(Number.isInteger(d.medianPosition * 2)).toBe(true);
      expect(d.medianPosition).toBeGreaterThanOrEqual(1);
      expect(d.medianPosition).toBeLessThanOrEqual(20);
      for (const [k, p] of [[1, d.pWin], [3, d.pPodium], [10, d.pTop10]] as const) {
        if (p > 0.5) expect(d.medianPosition).toBeLessThanOrEqual(k);
        if (p < 0.5) expect(d.medianPosition).toBeGreaterThan(k);
      }
    }
    expect(sim[0]!.medianPosition).toBeLessThan(sim[19]!.medianPosition);
    // A certain retirement is classified behind every finisher; a dominant car always wins.
    const fixed = simulateRace({ strengths: [50, 0, 0, 0], pDnf: [0, 0, 0, 1], gapTable, samples: 501, seed: 4 });
    expect(fixed.map((d) => d.medianPosition)).toEqual([1, expect.any(Number), expect.any(Number), 4]);
    expect(fixed[1]!.medianPosition).toBeGreaterThanOrEqual(2);
    expect(fixed[1]!.medianPosition).toBeLessThanOrEqual(3);
  });

  it('medianFromCounts is the median of the samples the counts describe', () => {
    const rand = seededRandom(6);
    for (const total of [1, 2, 7, 40, 41]) {
      const xs = Array.from({ length: total }, () => 1 + Math.floor(rand() * 6)).sort((a, b) => a - b);
      const counts = Array.from({ length: 6 }, (_, p) => xs.filter((x) => x === p + 1).length);
      const m = total >> 1;
      expect(medianFromCounts(counts, total)).toBe(total % 2 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2);
    }
    expect(medianFromCounts([0, 2, 2], 4)).toBe(2.5);
  });

  it('is deterministic for a seed', () => {
    expect(simulateRace({ strengths, pDnf, gapTable, samples: 300, seed: 5 })).toEqual(simulateRace({ strengths, pDnf, gapTable, samples: 300, seed: 5 }));
  });

  it('bad races: still coherent, take probability from the front-runners, and 0 is the plain model', () => {
    expect(simulateRace({ strengths, pDnf, gapTable, samples: 300, seed: 5, badRace: 0 })).toEqual(simulateRace({ strengths, pDnf, gapTable, samples: 300, seed: 5 }));
    const bad = simulateRace({ strengths, pDnf, gapTable, samples: 4000, seed: 11, badRace: 0.1 });
    const sum = (k: 'pWin' | 'pPodium' | 'pTop10') => bad.reduce((s, d) => s + d[k], 0);
    expect(sum('pWin')).toBeCloseTo(1, 10);
    expect(sum('pPodium')).toBeCloseTo(3, 10);
    expect(sum('pTop10')).toBeCloseTo(10, 10);
    // The favourite loses top-10 probability (a bad race sends it to the back), the slowest car gains some.
    expect(bad[0]!.pTop10).toBeLessThan(sim[0]!.pTop10 - 0.05);
    expect(bad[19]!.pTop10).toBeGreaterThan(sim[19]!.pTop10);
    expect(bad.map((d) => d.pDnf)).toEqual(sim.map((d) => d.pDnf));
  });

  it('matches the closed-form Plackett–Luce win probability without retirements', () => {
    const s = [1.2, 0.4, 0, -0.5];
    const z = s.reduce((a, x) => a + Math.exp(x), 0);
    const out = simulateRace({ strengths: s, pDnf: [0, 0, 0, 0], gapTable, samples: 40_000, seed: 9 });
    out.forEach((d, i) => expect(d.pWin).toBeCloseTo(Math.exp(s[i]!) / z, 2));
  });
});

describe('calibration', () => {
  it('fitTemperature recovers the temperature orders were sampled with', () => {
    const rand = seededRandom(4);
    const strengths = Array.from({ length: 12 }, (_, i) => 3 - i * 0.5);
    const trueT = 2;
    const ordered: number[][] = [];
    for (let r = 0; r < 600; r++) {
      const keys = strengths.map((s) => s / trueT - Math.log(-Math.log(rand())));
      ordered.push(strengths.map((_, i) => i).sort((a, b) => keys[b]! - keys[a]!).map((i) => strengths[i]!));
    }
    expect(fitTemperature(ordered)).toBeCloseTo(trueT, 0);
    expect(plackettLuceLogLik(ordered, trueT)).toBeGreaterThan(plackettLuceLogLik(ordered, 0.5));
  });

  it('Platt scaling recovers a known logistic link', () => {
    const rand = seededRandom(8);
    const z = Array.from({ length: 5000 }, () => rand() * 6 - 3);
    const y = z.map((v) => (rand() < sigmoid(0.5 * v - 1) ? 1 : 0));
    const p = fitPlatt(z, y);
    expect(p.a).toBeCloseTo(0.5, 1);
    expect(p.b).toBeCloseTo(-1, 1);
  });

  it('scaleToSum keeps probabilities ≤ 1 and hits the total', () => {
    const out = scaleToSum([0.9, 0.8, 0.1, 0.1], 3);
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(3);
    expect(Math.max(...out)).toBeLessThanOrEqual(1);
  });
});

describe('baselines', () => {
  const qualiIndex = featureNames.indexOf('qualiPosition');
  const features = (slots: (number | null)[]): RaceFeatures => ({
    raceId: 1,
    seed: 202401,
    asOf: new Date(0),
    drivers: slots.map((q, i) => ({ driverId: i + 1, constructorId: 1, values: featureNames.map((_, j) => (j === qualiIndex ? q : 0)) })),
  });
  // Two past races of four starters: slot 2 finished 1st and 4th, slot 3 finished 2nd twice.
  const race = (finish: number[]) => ({
    qualifying: [1, 2, 3, 4].map((p) => ({ raceId: 0, driverId: p, constructorId: 1, position: p, bestMs: null })),
    results: finish.map((pos, i) => ({ raceId: 0, driverId: i + 1, constructorId: 1, grid: i + 1, position: pos, positionOrder: pos, points: 0, laps: 50, milliseconds: null, status: 'Finished' })),
  });
  const table = fitSlotTable([race([3, 1, 2, 4]), race([1, 4, 2, 3])]);
  const f = features([1, 2, 3, 4]);

  it('grid order states the grid slot as its median; the slot baselines the median past finish of the slot', () => {
    expect(baselinePrediction('gridOrder', f, table, gapTable).map((d) => d.medianPosition)).toEqual([1, 2, 3, 4]);
    for (const kind of ['slotMedian', 'slotLookup'] as const) {
      const out = baselinePrediction(kind, f, table, gapTable);
      expect(out.map((d) => d.medianPosition)).toEqual([2, 2.5, 2, 3.5]);
      // The expected position is the slot's mean finish.
      expect(out.map((d) => d.expectedPosition)).toEqual([2, 2.5, 2, 3.5]);
    }
    const skewed = fitSlotTable([race([1, 2, 3, 4]), race([1, 2, 3, 4]), race([4, 1, 2, 3])]);
    const lookup = baselinePrediction('slotLookup', f, skewed, gapTable);
    expect(lookup[0]!.medianPosition).toBe(1);
    expect(lookup[0]!.expectedPosition).toBe(2);
  });

  it('every baseline states a median within the field', () => {
    for (const kind of baselineKinds) {
      for (const d of baselinePrediction(kind, features([1, null, 3, 2]), table, gapTable)) {
        expect(d.medianPosition).toBeGreaterThanOrEqual(1);
        expect(d.medianPosition).toBeLessThanOrEqual(4);
      }
    }
  });
});
