import { describe, expect, it } from 'vitest';
import type { Lap } from '../../shared/domain/reference.js';
import { raceStateAt } from '../../shared/live/race-state.js';
import { carLaps } from './finish-laps.js';

const teams = new Map([
  [1, 10],
  [2, 10],
  [3, 20],
]);

/** Three cars over 20 laps: car 1 the fastest, car 3 stops for good after lap 8, car 2 stops for tyres at the end of lap 6. */
function race(): Lap[] {
  return [
    ...carLaps({ driverId: 1, laps: 20, lapMs: 90_000 }),
    ...carLaps({ driverId: 2, laps: 20, lapMs: 90_500, stopAfter: [6], compounds: ['MEDIUM', 'HARD'] }),
    ...carLaps({ driverId: 3, laps: 8, lapMs: 91_000 }),
  ];
}

describe('raceStateAt', () => {
  it('orders the cars by their race time and gives the gaps on the road', () => {
    const s = raceStateAt({ raceId: 7, totalLaps: 20, laps: race(), teams, lap: 4 });
    expect(s.cars.map((c) => c.driverId)).toEqual([1, 2, 3]);
    expect(s.cars.map((c) => c.gapToLeaderMs)).toEqual([null, 2_000, 4_000]);
    expect(s.cars.map((c) => c.intervalMs)).toEqual([null, 2_000, 2_000]);
    expect(s.cars[1]).toMatchObject({ position: 2, lapsCompleted: 4, compound: 'MEDIUM', tyreLife: 4, stops: 0, retired: false, constructorId: 10 });
  });

  it('counts a stop made and the compounds run, and puts a car that stopped completing laps out of the race', () => {
    const s = raceStateAt({ raceId: 7, totalLaps: 20, laps: race(), teams, lap: 12 });
    const car2 = s.cars.find((c) => c.driverId === 2)!;
    expect(car2).toMatchObject({ stops: 1, compound: 'HARD', tyreLife: 6 });
    expect(new Set(car2.compoundsUsed)).toEqual(new Set(['MEDIUM', 'HARD']));
    const car3 = s.cars.find((c) => c.driverId === 3)!;
    expect(car3).toMatchObject({ retired: true, position: 3, lapsCompleted: 8, gapToLeaderMs: null });
  });

  it('takes the running order from laps.position where the data gives one', () => {
    const laps = race().map((l) => (l.lap === 4 ? { ...l, position: l.driverId === 2 ? 1 : l.driverId === 1 ? 2 : 3 } : l));
    const s = raceStateAt({ raceId: 7, totalLaps: 20, laps, teams, lap: 4 });
    expect(s.cars.map((c) => c.driverId)).toEqual([2, 1, 3]);
  });

  it("keeps the gaps in the data's order when a lap has no time (a pit lap counts only the field's median)", () => {
    // Car 2's in-lap has no time: its time alone would put it ahead of car 3, which the data has ahead on the road.
    const positionAt6 = new Map([[1, 1], [3, 2], [2, 3]]);
    const laps = race().map((l) => (l.lap === 6 ? { ...l, position: positionAt6.get(l.driverId)!, timeMs: l.driverId === 2 ? null : l.timeMs } : l));
    const s = raceStateAt({ raceId: 7, totalLaps: 20, laps, teams, lap: 6 });
    expect(s.cars.map((c) => c.driverId)).toEqual([1, 3, 2]);
    expect(s.cars.map((c) => c.gapToLeaderMs)).toEqual([null, 6_000, 6_000]);
  });

  it("reads the track status of the last lap unless race control's is given", () => {
    const laps = race().map((l) => (l.lap === 5 ? { ...l, trackStatus: '14' } : l));
    expect(raceStateAt({ raceId: 7, totalLaps: 20, laps, teams, lap: 5 }).trackStatus).toBe('sc');
    expect(raceStateAt({ raceId: 7, totalLaps: 20, laps, teams, lap: 4 }).trackStatus).toBe('green');
    expect(raceStateAt({ raceId: 7, totalLaps: 20, laps, teams, lap: 4, trackStatus: 'vsc' }).trackStatus).toBe('vsc');
  });

  it('reads no lap after the one asked for: changing every later lap changes nothing', () => {
    const lap = 7;
    const base = raceStateAt({ raceId: 7, totalLaps: 20, laps: race(), teams, lap });
    const perturbed = race().map((l) =>
      l.lap > lap
        ? { ...l, timeMs: 30_000 + l.driverId * 7_777, position: 4 - l.driverId, compound: 'SOFT' as const, tyreLife: 1, trackStatus: '45', pitIn: true, pitOut: true }
        : l,
    );
    // and a car that never ran past lap 7 here
    const cut = perturbed.filter((l) => !(l.driverId === 3 && l.lap > lap));
    expect(raceStateAt({ raceId: 7, totalLaps: 20, laps: perturbed, teams, lap })).toEqual(base);
    expect(raceStateAt({ raceId: 7, totalLaps: 20, laps: cut, teams, lap })).toEqual(base);
  });

  it('has every entrant at lap 0, none retired', () => {
    const s = raceStateAt({ raceId: 7, totalLaps: 20, laps: race(), teams, lap: 0 });
    expect(s.cars).toHaveLength(3);
    expect(s.cars.every((c) => !c.retired && c.lapsCompleted === 0)).toBe(true);
  });
});
