import { describe, expect, it } from 'vitest';
import { brier } from '../../shared/evaluation/metrics.js';
import { atThreshold, bestF1Threshold, hitRateWithinOne, prAuc } from '../../shared/pits/metrics.js';

describe('pit metrics', () => {
  it('PR-AUC is 1 for a perfect ranking and the base rate for a constant score', () => {
    expect(prAuc([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0])).toBe(1);
    expect(prAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 0, 0])).toBeCloseTo(0.25);
  });

  it('PR-AUC is the average precision at each positive', () => {
    // Ranked: 1 (P=1), 0, 1 (P=2/3), 0 → AP = (1 + 2/3) / 2
    expect(prAuc([0.9, 0.8, 0.7, 0.1], [1, 0, 1, 0])).toBeCloseTo((1 + 2 / 3) / 2);
  });

  it('precision, recall and F1 at a threshold', () => {
    const m = atThreshold([0.9, 0.6, 0.4, 0.2], [1, 0, 1, 0], 0.5);
    expect(m.precision).toBeCloseTo(0.5);
    expect(m.recall).toBeCloseTo(0.5);
    expect(m.f1).toBeCloseTo(0.5);
    expect(bestF1Threshold([0.9, 0.6, 0.4, 0.2], [1, 0, 1, 0])).toBeCloseTo(0.4);
  });

  it('Brier is the mean squared error of the probabilities', () => {
    expect(brier([1, 0, 0.5], [1, 0, 1])).toBeCloseTo(0.25 / 3);
  });

  it('hit rate counts stops with an alarm within one lap', () => {
    // Forecast rows name lap t+1: alarms for laps 11 and 31.
    const rows = [10, 20, 30].map((lap) => ({ raceId: 1, driverId: 1, lap }));
    const stops = [12, 25, 31].map((lap) => ({ raceId: 1, driverId: 1, lap }));
    expect(hitRateWithinOne(rows, [0.9, 0.1, 0.8], stops, 0.5)).toBeCloseTo(2 / 3);
  });
});
