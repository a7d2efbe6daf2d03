import { describe, expect, it } from 'vitest';
import { defaultLiveFinishParams, liveFinishForecast, stopsOwed, type PriorEntry } from '../../shared/live/finish-forecast.js';
import type { LiveCar, LiveRaceState, TrackStatus } from '../../shared/live/types.js';

const car = (driverId: number, position: number, gapS: number, over: Partial<LiveCar> = {}): LiveCar => ({
  driverId,
  constructorId: 100 + Math.ceil(driverId / 2),
  position,
  lapsCompleted: 30,
  gapToLeaderMs: position === 1 ? null : gapS * 1000,
  intervalMs: null,
  lastLapMs: 90_000,
  compound: 'HARD',
  tyreLife: 10,
  stops: 1,
  retired: false,
  compoundsUsed: ['MEDIUM', 'HARD'],
  ...over,
});

const state = (cars: LiveCar[], o: { lap?: number; totalLaps?: number; trackStatus?: TrackStatus } = {}): LiveRaceState => ({
  raceId: 3,
  totalLaps: o.totalLaps ?? 60,
  lap: o.lap ?? 30,
  trackStatus: o.trackStatus ?? 'green',
  cars,
});

/** An even prior over n drivers with a pace order (driver 1 quickest). */
const prior = (n: number): PriorEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    driverId: i + 1,
    pWin: 1 / n,
    pPodium: 3 / n,
    pPoints: Math.min(1, 10 / n),
    pDnf: 0.08,
    expectedPosition: (n + 1) / 2,
    gapSeconds: i * 2,
    gapLowSeconds: i,
    gapHighSeconds: i * 3 + 2,
  }));

const field = (n: number, spacingS: number) => Array.from({ length: n }, (_, i) => car(i + 1, i + 1, i * spacingS));
const odds = (s: LiveRaceState, p: PriorEntry[] = prior(s.cars.length), seed = 5) => new Map(liveFinishForecast(s, p, defaultLiveFinishParams, seed).map((o) => [o.driverId, o]));

describe('liveFinishForecast', () => {
  it('is coherent across the field: P(win) sums to 1, P(podium) to 3, P(points) to 10, positions to 1..n', () => {
    const cars = [...field(18, 1.7), car(19, 19, 0, { retired: true, lapsCompleted: 12, gapToLeaderMs: null }), car(20, 20, 0, { retired: true, lapsCompleted: 3, gapToLeaderMs: null })];
    const out = liveFinishForecast(state(cars), prior(20), defaultLiveFinishParams, 11);
    const sum = (k: 'win' | 'podium' | 'points' | 'expectedPosition') => out.reduce((s, o) => s + o[k], 0);
    expect(sum('win')).toBeCloseTo(1, 9);
    expect(sum('podium')).toBeCloseTo(3, 9);
    expect(sum('points')).toBeCloseTo(10, 9);
    expect(sum('expectedPosition')).toBeCloseTo((20 * 21) / 2, 6);
    for (const o of out) {
      expect(o.win).toBeLessThanOrEqual(o.podium + 1e-12);
      expect(o.podium).toBeLessThanOrEqual(o.points + 1e-12);
      expect(o.points).toBeLessThanOrEqual(1 + 1e-12);
    }
    // The retired cars are last, the one that ran longer ahead of the other.
    const by = new Map(out.map((o) => [o.driverId, o]));
    expect(by.get(19)!.expectedPosition).toBe(19);
    expect(by.get(20)!.expectedPosition).toBe(20);
    expect(by.get(19)!.win).toBe(0);
  });

  it("returns the pre-race forecast's own probabilities at lap 0", () => {
    const p = prior(6).map((e, i) => ({ ...e, pWin: [0.4, 0.3, 0.1, 0.1, 0.05, 0.05][i]!, expectedPosition: i + 1.25 }));
    const out = liveFinishForecast(state(field(6, 0), { lap: 0 }), p, defaultLiveFinishParams, 1);
    expect(out).toEqual(p.map((e) => ({ driverId: e.driverId, win: e.pWin, podium: e.pPodium, points: e.pPoints, expectedPosition: e.expectedPosition })));
  });

  it('gives a leader 30 s clear with 2 laps to go the win with high probability', () => {
    const cars = [car(1, 1, 0), ...field(20, 1).slice(1).map((c, i) => ({ ...c, gapToLeaderMs: (30 + i) * 1000 }))];
    const o = odds(state(cars, { lap: 58 }));
    expect(o.get(1)!.win).toBeGreaterThan(0.95);
    expect(o.get(1)!.expectedPosition).toBeLessThan(1.1);
  });

  it('is less sure of the same gap with more of the race left', () => {
    const late = odds(state(field(10, 3), { lap: 55 }));
    const early = odds(state(field(10, 3), { lap: 10 }));
    expect(late.get(1)!.win).toBeGreaterThan(early.get(1)!.win + 0.1);
  });

  it('puts a car that still owes a stop behind one that does not at equal gaps', () => {
    const cars = [
      car(1, 1, 0, { stops: 0, compoundsUsed: ['MEDIUM'], compound: 'MEDIUM' }),
      car(2, 2, 0.1, { stops: 1, compoundsUsed: ['MEDIUM', 'HARD'] }),
      ...field(8, 2).slice(2),
    ];
    const even = prior(8).map((e) => ({ ...e, gapSeconds: 0 }));
    const o = odds(state(cars, { lap: 40 }), even);
    expect(o.get(2)!.win).toBeGreaterThan(o.get(1)!.win + 0.3);
    expect(o.get(2)!.expectedPosition).toBeLessThan(o.get(1)!.expectedPosition);
    expect(stopsOwed(cars[0]!, 20, undefined, 1.5)).toBe(1);
    expect(stopsOwed(cars[1]!, 20, undefined, 1.5)).toBe(0);
  });

  it('owes the two-compound stop only in a dry race on known tyres, and the stops its tyres need to reach the flag', () => {
    const onOne = car(1, 1, 0, { stops: 1, compoundsUsed: ['MEDIUM'], compound: 'MEDIUM', tyreLife: 5 });
    expect(stopsOwed(onOne, 2, undefined, 1.5)).toBe(1);
    expect(stopsOwed({ ...onOne, compoundsUsed: ['INTERMEDIATE', 'MEDIUM'] }, 20, undefined, 1.5)).toBe(0);
    expect(stopsOwed({ ...onOne, compoundsUsed: [], compound: null }, 20, undefined, 1.5)).toBe(0);
    // A median stint of 20 laps stretched to 30: 10 laps into the stint with 15 to go is fine, with 45 to go it needs one more stop, with 55 two.
    const twoCompounds = car(2, 2, 0, { stops: 1, tyreLife: 10 });
    expect(stopsOwed(twoCompounds, 15, 20, 1.5)).toBe(0);
    expect(stopsOwed(twoCompounds, 45, 20, 1.5)).toBe(1);
    expect(stopsOwed(twoCompounds, 55, 20, 1.5)).toBe(2);
  });

  it('counts the gaps less under a safety car', () => {
    const cars = field(10, 4);
    const green = odds(state(cars, { lap: 40 }));
    const sc = odds(state(cars, { lap: 40, trackStatus: 'sc' }));
    expect(sc.get(1)!.win).toBeLessThan(green.get(1)!.win);
    expect(sc.get(5)!.podium).toBeGreaterThan(green.get(5)!.podium);
  });

  // Its speed is measured where speed is: npx pitwall backtest-live and npm run bench:live (a timed test fails on a busy machine).
  it('is the same for the same seed, and differs for another', () => {
    const s = state(field(20, 1.5), { lap: 20 });
    expect(liveFinishForecast(s, prior(20), defaultLiveFinishParams, 9)).toEqual(liveFinishForecast(s, prior(20), defaultLiveFinishParams, 9));
    expect(liveFinishForecast(s, prior(20), defaultLiveFinishParams, 10)).not.toEqual(liveFinishForecast(s, prior(20), defaultLiveFinishParams, 9));
  });

  it('forecasts from an even field when no pre-race forecast was frozen', () => {
    const out = liveFinishForecast(state(field(5, 10), { lap: 50 }), [], defaultLiveFinishParams, 3);
    expect(out.reduce((s, o) => s + o.win, 0)).toBeCloseTo(1, 9);
    expect(out[0]!.win).toBeGreaterThan(out[4]!.win);
  });
});
