import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../shared/evaluation/bootstrap.js';
import { scaleToSum } from '../../shared/models/race/baselines.js';
import { fitPlatt, fitTemperature, plackettLuceLogLik, sigmoid } from '../../shared/models/race/calibrate.js';
import { simulateRace } from '../../shared/models/race/simulate.js';

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

  it('is deterministic for a seed', () => {
    expect(simulateRace({ strengths, pDnf, gapTable, samples: 300, seed: 5 })).toEqual(simulateRace({ strengths, pDnf, gapTable, samples: 300, seed: 5 }));
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
