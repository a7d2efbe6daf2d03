import { describe, expect, it } from 'vitest';
import { bootstrapCi, quantile, seededRandom } from '../../shared/evaluation/bootstrap.js';
import {
  median as medianOf,
  slope,
  standardDeviation,
  brier,
  ece,
  intervalCoverage,
  logLoss,
  mae,
  mean,
  ranks,
  reliabilityBins,
  spearman,
  topKOverlap,
  winnerNll,
} from '../../shared/evaluation/metrics.js';

describe('metrics on hand-computable cases', () => {
  it('MAE', () => {
    expect(mae([1, 2, 3], [2, 2, 5])).toBeCloseTo(1);
    expect(() => mae([1], [1, 2])).toThrow(/length/);
  });

  it('average ranks share ties', () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it('Spearman: identical order 1, reversed −1, one swap of four 0.8', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 2, 3, 4], [2, 1, 3, 4])).toBeCloseTo(0.8);
  });

  it('Spearman on ties: Pearson on average ranks (the 1 − 6Σd²/n(n²−1) shortcut, which ranks ties apart, would give 1)', () => {
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(4.5 / Math.sqrt(4.5 * 5));
    expect(spearman([3, 1, 2], [30, 10, 20])).toBeCloseTo(1);
    // No order to correlate with: NaN, which callers drop.
    expect(spearman([5, 5, 5], [1, 2, 3])).toBeNaN();
  });

  it('mean and Brier of 0/1 outcomes: NaN when there is nothing to average', () => {
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([])).toBeNaN();
    expect(brier([1, 0, 0.5], [1, 0, 1])).toBeCloseTo(0.25 / 3);
    expect(brier([0.8, 0.3], [true, false])).toBeCloseTo((0.04 + 0.09) / 2);
    expect(brier([], [])).toBeNaN();
  });

  it('Brier and log loss', () => {
    expect(brier([0.8, 0.3], [1, 0])).toBeCloseTo((0.04 + 0.09) / 2);
    expect(logLoss([0.8, 0.3], [1, 0])).toBeCloseTo((-Math.log(0.8) - Math.log(0.7)) / 2);
    // Certain and wrong is clipped, not infinite.
    expect(Number.isFinite(logLoss([0], [1]))).toBe(true);
  });

  it('ECE: perfectly calibrated bins give 0, a constant overconfident forecast its gap', () => {
    expect(ece([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0])).toBeCloseTo(0);
    expect(ece([0.9, 0.9], [1, 0])).toBeCloseTo(0.4);
    const bins = reliabilityBins([0.05, 0.15, 0.95], [0, 1, 1]);
    expect(bins.map((b) => b.count)).toEqual([1, 1, 1]);
    expect(bins[1]).toMatchObject({ lower: 0.1, observedRate: 1 });
  });

  it('winner NLL, interval coverage, top-k overlap', () => {
    expect(winnerNll([0.5, 0.25, 0.25], 1)).toBeCloseTo(Math.log(4));
    expect(intervalCoverage([0, 0, 5], [10, 1, 6], [5, 2, 5])).toBeCloseTo(2 / 3);
    expect(topKOverlap([1, 2, 3, 4], [3, 1, 9, 2], 3)).toBeCloseTo(2 / 3);
  });
});

describe('bootstrap', () => {
  it('is reproducible and brackets the point value', () => {
    const xs = Array.from({ length: 50 }, (_, i) => i % 7);
    const mean = (s: readonly number[]) => s.reduce((a, b) => a + b, 0) / s.length;
    const a = bootstrapCi(xs, mean, { resamples: 300, seed: 3 });
    const b = bootstrapCi(xs, mean, { resamples: 300, seed: 3 });
    expect(a).toEqual(b);
    expect(a.ciLow).toBeLessThan(a.value);
    expect(a.ciHigh).toBeGreaterThan(a.value);
  });

  it('a constant statistic has a zero-width interval', () => {
    const e = bootstrapCi([1, 1, 1], () => 2, { resamples: 50 });
    expect([e.value, e.ciLow, e.ciHigh]).toEqual([2, 2, 2]);
  });

  it('quantile interpolates and the generator is uniform-ish', () => {
    expect(quantile([0, 10], 0.25)).toBeCloseTo(2.5);
    const r = seededRandom(1);
    const xs = Array.from({ length: 10_000 }, r);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});

describe('median, standard deviation and slope', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(medianOf([3, 1, 2])).toBe(2);
    expect(medianOf([4, 1, 3, 2])).toBe(2.5);
    expect(medianOf([])).toBeNaN();
  });
  it('is the sample standard deviation (n − 1)', () => {
    expect(standardDeviation([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(standardDeviation([1])).toBeNaN();
  });
  it('fits the least-squares slope, NaN under 3 points or with one x', () => {
    expect(slope([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(slope([1, 2], [1, 2])).toBeNaN();
    expect(slope([2, 2, 2], [1, 2, 3])).toBeNaN();
  });
});
