import { describe, expect, it } from 'vitest';
import type { DriverForecast, RaceForecast } from '../../shared/domain/forecast.js';
import { postQualifyingFreezeAt } from '../../shared/domain/freeze-instant.js';
import { raceOutcome } from '../../shared/domain/race-outcome.js';
import type { Race, RaceResult } from '../../shared/domain/reference.js';
import { pointMetrics, scoreRace } from '../../shared/evaluation/score-race.js';
import { toHistoryRace, postQualifyingFreeze } from '../../shared/domain/history.js';
import type { Prediction } from '../../shared/domain/prediction.js';
import { scorePrediction } from '../../shared/lifecycle/evaluate.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { validateForecast } from '../../shared/lifecycle/validate-forecast.js';

/** Six drivers; 5 is classified although not running at the end ("+3 Laps"), 6 retired, 4 was disqualified. */
const result = (driverId: number, positionOrder: number, position: number | null, status: string, ms: number | null): RaceResult => ({
  raceId: 9, driverId, constructorId: driverId, number: null, grid: driverId, position, positionText: String(position ?? 'R'), positionOrder,
  points: 0, laps: 50, timeText: null, milliseconds: ms, fastestLap: null, fastestLapRank: null, fastestLapTime: null, fastestLapSpeed: null, status,
});
const results = [
  result(2, 1, 1, 'Finished', 5_000_000),
  result(1, 2, 2, 'Finished', 5_004_000),
  result(3, 3, 3, 'Finished', 5_020_000),
  result(5, 4, 4, '+3 Laps', null),
  result(6, 5, null, 'Engine', null),
  result(4, 6, null, 'Disqualified', null),
];
const driver = (driverId: number, predictedPosition: number, pWin: number, pPodium: number, pPoints: number, pDnf: number): DriverForecast => ({
  driverId, constructorId: driverId, predictedPosition, expectedPosition: predictedPosition + 0.3, medianPosition: predictedPosition,
  pWin, pPodium, pPoints, pDnf, gapSeconds: (predictedPosition - 1) * 6, gapLowSeconds: (predictedPosition - 1) * 3,
  gapHighSeconds: (predictedPosition - 1) * 9 + 1, featureCoverage: 1, imputedCount: 0,
});
// A seventh entrant (7) never started: it is out of the scored field.
const forecast: RaceForecast = {
  raceId: 9, asOf: new Date('2024-05-25T15:30:00Z'), modelVersion: 'm',
  drivers: [driver(1, 1, 0.5, 0.9, 1, 0.05), driver(2, 2, 0.3, 0.8, 1, 0.05), driver(3, 3, 0.1, 0.6, 1, 0.1), driver(4, 4, 0.05, 0.4, 1, 0.1),
    driver(5, 5, 0.03, 0.2, 1, 0.2), driver(6, 6, 0.01, 0.05, 1, 0.3), driver(7, 7, 0.01, 0.05, 1, 0.5)],
};

describe('one scorer, one outcome model, one freeze instant', () => {
  it('a DNF is a starter the classification does not classify, and places are re-ranked over the scored field', () => {
    const o = raceOutcome(results, (id) => id !== 2);
    expect(o.map((x) => [x.driverId, x.finish, x.dnf])).toEqual([[1, 1, false], [3, 2, false], [5, 3, false], [6, 4, true], [4, 5, true]]);
    expect(o.filter((x) => x.podium).map((x) => x.driverId)).toEqual([1, 3, 5]);
  });

  it('the live evaluation of a frozen snapshot gives the backtest scorer’s scores', () => {
    const checked = validateForecast(forecast, forecast.drivers.map((d) => d.driverId));
    const prediction: Prediction = {
      id: 3, raceId: 9, modelVersion: 'm', kind: 'forecast', clock: 'simulated', official: true, recordedAt: new Date(0), createdAt: new Date(), freezePolicy: { kind: 'post_qualifying' }, snapshotAt: forecast.asOf,
      sessionType: 'qualifying', inputsHash: '0'.repeat(64), confidence: 0.5, featureCoverage: 1, imputedCount: 0, status: 'frozen', warnings: [],
      entries: checked.entries.map((e) => ({ ...e, strategy: null })),
      weather: null,
      headToHead: null,
    };
    const live = scorePrediction(prediction, results);
    const backtest = pointMetrics([scoreRace(forecast, 2024, results)!]);
    expect(live.starters).toBe(6);
    expect(live.positionMae).toBeCloseTo(backtest.positionMae!, 12);
    expect(live.spearman).toBeCloseTo(backtest.spearman!, 12);
    expect(live.winnerCorrect).toBe(backtest.winnerCorrect === 1);
    expect(live.podiumAccuracy).toBeCloseTo(backtest.podiumOverlap!, 12);
    expect(live.top10Accuracy).toBeCloseTo(backtest.top10Overlap!, 12);
    expect(live.brier.win).toBeCloseTo(backtest.brierWin!, 12);
    expect(live.brier.podium).toBeCloseTo(backtest.brierPodium!, 12);
    expect(live.brier.points).toBeCloseTo(backtest.brierTop10!, 12);
    expect(live.brier.dnf).toBeCloseTo(backtest.brierDnf!, 12);
    expect(live.logLoss.dnf).toBeCloseTo(backtest.logLossDnf!, 12);
    expect(live.calibrationError.podium).toBeCloseTo(backtest.ecePodium!, 12);
    expect(live.intervalCoverage).toBeCloseTo(backtest.gapCoverage80!, 12);
    // The classified "+3 Laps" car is no DNF, the disqualified one is: two DNFs, 6 and 4.
    const dnfPairs = scoreRace(forecast, 2024, results)!.dnf;
    expect(dnfPairs.filter(([, y]) => y === 1)).toHaveLength(2);
    expect(live.brier.dnf).toBeCloseTo((0.05 ** 2 + 0.05 ** 2 + 0.1 ** 2 + 0.9 ** 2 + 0.2 ** 2 + 0.7 ** 2) / 6, 12);
  });

  it('the lifecycle freezes at the instant the features of training and the backtest are computed as of', () => {
    const race = (qualifying?: { date: string; time: string | null }): Race => ({
      id: 9, season: 2024, round: 8, name: 'Monaco Grand Prix', circuitId: 6, url: null,
      sessions: qualifying ? { race: { date: '2024-05-26', time: '13:00:00' }, qualifying } : { race: { date: '2024-05-26', time: '13:00:00' } },
    });
    for (const r of [race({ date: '2024-05-25', time: '14:00:00' }), race({ date: '2024-05-25', time: null }), race()]) {
      const lifecycle = freezeWindow(r, { kind: 'post_qualifying' }).allowedAt;
      expect(postQualifyingFreeze(toHistoryRace(r, 24))).toEqual(lifecycle);
      expect(lifecycle).toEqual(postQualifyingFreezeAt(r));
    }
    expect(freezeWindow(race({ date: '2024-05-25', time: '14:00:00' }), { kind: 'post_qualifying' }).allowedAt.toISOString()).toBe('2024-05-25T15:30:00.000Z');
    expect(postQualifyingFreeze(toHistoryRace(race(), 24)).toISOString()).toBe('2024-05-26T12:00:00.000Z');
  });
});

describe('the backtest over Cloud Run tasks', () => {
  it('gives every season to exactly one task, in contiguous blocks', async () => {
    const { taskSeasons } = await import('../../shared/training/backtest.js');
    for (let count = 1; count <= 14; count++) {
      const seasons = Array.from({ length: count }, (_, i) => taskSeasons(2014, 2024, i, count)).flatMap((b) => (b ? Array.from({ length: b.to - b.from + 1 }, (_, k) => b.from + k) : []));
      expect(seasons).toEqual(Array.from({ length: 11 }, (_, k) => 2014 + k));
    }
    expect(taskSeasons(2014, 2024, 0, 14)).toBeNull();
  });
});
