import { describe, expect, it } from 'vitest';
import type { WindowSet } from '../../shared/pits/dataset.js';
import { featureCount, featureNames } from '../../shared/pits/features.js';
import { rolloutStrategy } from '../../shared/pits/strategy.js';

const W = 4;
/** Reads tyre life (laps) of the window's last lap. */
const tyreLifeOf = (set: WindowSet, r: number) => set.windows[(r * W + W - 1) * featureCount + featureNames.indexOf('tyreLife')]! * 40;

describe('pre-race strategy rollout', () => {
  it('stops where the hazard rises, and again when the next stint wears out', () => {
    // Certain stop once the tyres are 20 laps old.
    const predict = (set: WindowSet) => Array.from({ length: set.n }, (_, r) => (tyreLifeOf(set, r) >= 20 ? 0.95 : 0.001));
    const f = rolloutStrategy(predict, { totalLaps: 60, startCompound: 'MEDIUM', window: W });
    expect(f.firstStopLap).toBe(21);
    expect(f.stopLaps).toEqual([21, 42]);
    expect(f.stops).toBe(2);
  });

  it('always makes the first stop (two compounds in a dry race), at the median of the first-stop distribution', () => {
    const flat = (set: WindowSet) => Array.from({ length: set.n }, () => 0.001);
    const f = rolloutStrategy(flat, { totalLaps: 51, startCompound: 'HARD', window: W });
    expect(f.stops).toBe(1);
    expect(Math.abs(f.firstStopLap - 26)).toBeLessThanOrEqual(1);
  });
});
