import { describe, expect, it } from 'vitest';
import { alignRaceLaps, labelsAt, pitsWithin, stopLaps, type PitLap } from '../../shared/pits/labels.js';

const lap = (n: number, over: Partial<PitLap> = {}): PitLap => ({
  raceId: 1, driverId: 7, lap: n, position: 5, timeMs: 90_000, compound: 'MEDIUM', stint: 1, tyreLife: n, freshTyre: true,
  trackStatus: '1', pitIn: false, pitOut: false, sources: ['test'], ...over,
});

/** Laps 1..30; the car comes in at the end of lap 20; `after` describes lap 21. */
function stint(after: Partial<PitLap>, at20: Partial<PitLap> = {}): PitLap[] {
  return Array.from({ length: 30 }, (_, i) => {
    const n = i + 1;
    if (n === 20) return lap(n, { pitIn: true, ...at20 });
    if (n === 21) return lap(n, { pitOut: true, stint: 2, ...after });
    return n > 21 ? lap(n, { stint: 2, ...after, tyreLife: (after.tyreLife ?? 1) + n - 21 }) : lap(n);
  });
}

describe('clean pit-stop labels', () => {
  it('counts a pit entry with a tyre change as a stop', () => {
    expect(stopLaps(stint({ compound: 'HARD', tyreLife: 1 }))).toEqual([20]);
  });

  it('does not count a pit-lane pass under safety car with no tyre change', () => {
    // Same compound, tyre life carries on (20 → 21): the car drove through.
    const laps = stint({ compound: 'MEDIUM', tyreLife: 21, trackStatus: '4' }, { trackStatus: '4' });
    expect(stopLaps(laps)).toEqual([]);
  });

  it('does not count a tyre change during a red flag', () => {
    const laps = stint({ compound: 'HARD', tyreLife: 1, trackStatus: '5' }, { trackStatus: '15' });
    expect(stopLaps(laps)).toEqual([]);
  });

  it('does not count the pit entry on the last lap (retirement or post-race)', () => {
    const laps = Array.from({ length: 30 }, (_, i) => lap(i + 1, { pitIn: i + 1 === 30 }));
    expect(stopLaps(laps)).toEqual([]);
  });

  it("follows the database's pit_stop verdict where ingest stored one", () => {
    const laps = stint({ compound: 'HARD', tyreLife: 1 }).map((l) => ({ ...l, pitStop: false }));
    expect(stopLaps(laps)).toEqual([]);
  });

  it('labels lap t with a stop at the end of lap t+1 and the laps to the next stop', () => {
    const stops = [20, 40];
    expect(labelsAt(stops, 19)).toEqual({ pitNext: true, lapsToNextStop: 1 });
    expect(labelsAt(stops, 20)).toEqual({ pitNext: false, lapsToNextStop: 20 });
    expect(labelsAt(stops, 37)).toEqual({ pitNext: false, lapsToNextStop: 3 });
    expect(labelsAt(stops, 41)).toEqual({ pitNext: false, lapsToNextStop: null });
    expect(pitsWithin(labelsAt(stops, 37), 3)).toBe(true);
    expect(pitsWithin(labelsAt(stops, 37), 1)).toBe(false);
    expect(pitsWithin(labelsAt(stops, 41), 5)).toBe(false);
  });
});

describe('races with lap-number offsets', () => {
  const raceLaps = (lastLaps: Record<number, number>) =>
    Object.entries(lastLaps).flatMap(([d, last]) => Array.from({ length: last }, (_, i) => lap(i + 1, { driverId: Number(d) })));

  it('leaves an aligned race as it is', () => {
    const laps = raceLaps({ 1: 78, 2: 78 });
    const check = alignRaceLaps(laps, [{ driverId: 1, officialLaps: 78 }, { driverId: 2, officialLaps: 78 }]);
    expect(check).toMatchObject({ use: true, shiftedBy: 0 });
  });

  it('shifts a race whose laps are low by the same amount for every finisher (2024 Monaco, −1)', () => {
    const laps = raceLaps({ 1: 77, 2: 76 });
    const check = alignRaceLaps(laps, [{ driverId: 1, officialLaps: 78 }, { driverId: 2, officialLaps: 77 }]);
    expect(check.use).toBe(true);
    if (!check.use) return;
    expect(check.shiftedBy).toBe(1);
    expect(Math.min(...check.laps.map((l) => l.lap))).toBe(2);
    expect(Math.max(...check.laps.filter((l) => l.driverId === 1).map((l) => l.lap))).toBe(78);
  });

  it('leaves out a race whose offsets differ between finishers (2020 Austria)', () => {
    const laps = raceLaps({ 1: 66, 2: 64, 3: 66 });
    const check = alignRaceLaps(laps, [
      { driverId: 1, officialLaps: 71 },
      { driverId: 2, officialLaps: 67 },
      { driverId: 3, officialLaps: 70 },
    ]);
    expect(check.use).toBe(false);
    if (!check.use) expect(check.reason).toMatch(/offset/);
  });
});
