import { describe, expect, it } from 'vitest';
import type { RaceResult } from '../../shared/domain/reference.js';
import type { Prediction, PredictionEntry } from '../../shared/domain/prediction.js';
import { scorePrediction } from '../../shared/lifecycle/evaluate.js';

const entry = (driverId: number, predictedPosition: number, medianPosition: number | null): PredictionEntry => ({
  driverId, constructorId: 1, predictedPosition, expectedPosition: predictedPosition, medianPosition, gapSeconds: 0, gapLowSeconds: 0,
  gapHighSeconds: 1, gapFlagged: false, pWin: 0.25, pPodium: 0.75, pPoints: 1, pDnf: 0.1, featureCoverage: 1, imputedCount: 0, strategy: null,
});
const prediction = (entries: PredictionEntry[]): Prediction => ({
  id: 1, raceId: 1, modelVersion: 'm', kind: 'forecast', clock: 'simulated', official: true, recordedAt: new Date(0), createdAt: new Date(0), freezePolicy: { kind: 'post_qualifying' }, snapshotAt: new Date(0),
  sessionType: 'qualifying', inputsHash: '0'.repeat(64), confidence: 0.5, featureCoverage: 1, imputedCount: 0, status: 'frozen', warnings: [], entries,
});
const result = (driverId: number, positionOrder: number, grid: number): RaceResult => ({
  raceId: 1, driverId, constructorId: 1, number: null, grid, position: positionOrder, positionText: String(positionOrder), positionOrder,
  points: 0, laps: 50, timeText: null, milliseconds: null, fastestLap: null, fastestLapRank: null, fastestLapTime: null, fastestLapSpeed: null,
  status: 'Finished',
});

describe('scoring a frozen prediction', () => {
  // Actual order 2, 1, 3, 4; grid order 1, 2, 3, 4.
  const results = [result(1, 2, 1), result(2, 1, 2), result(3, 3, 3), result(4, 4, 4)];

  it('position MAE scores the median positions, as the backtest does; grid order is its own median', () => {
    const e = scorePrediction(prediction([entry(1, 1, 1.5), entry(2, 2, 1.5), entry(3, 3, 3), entry(4, 4, 4)]), results);
    expect(e.positionMae).toBeCloseTo((0.5 + 0.5 + 0 + 0) / 4);
    expect(e.spearman).toBeCloseTo(0.8);
    expect(e.baseline.positionMae).toBeCloseTo((1 + 1) / 4);
  });

  it('snapshots frozen without medians are scored on their predicted rank', () => {
    const e = scorePrediction(prediction([entry(1, 1, null), entry(2, 2, null), entry(3, 3, null), entry(4, 4, null)]), results);
    expect(e.positionMae).toBeCloseTo(0.5);
  });
});
