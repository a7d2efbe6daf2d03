import { describe, expect, it } from 'vitest';
import { buildWindows, horizons } from '../../shared/pits/dataset.js';
import { buildSequences, featureCount, featureNames, windowAt, type DriverSequence } from '../../shared/pits/features.js';
import { fourCars, syntheticRace } from './synthetic-race.js';

const f = (name: (typeof featureNames)[number]) => featureNames.indexOf(name);
const seqOf = (seqs: DriverSequence[], driverId: number) => seqs.find((s) => s.driverId === driverId)!;

describe('pit sequence dataset', () => {
  const race = syntheticRace({ totalLaps: 30, scLap: 10, cars: fourCars });
  const seqs = buildSequences(race);

  it('builds one sequence per driver per race, one feature vector per lap', () => {
    expect(seqs.map((s) => s.driverId).sort()).toEqual([1, 2, 3, 4]);
    for (const s of seqs) {
      expect(s.features).toHaveLength(30);
      expect(s.features.every((v) => v.length === featureCount && v.every(Number.isFinite))).toBe(true);
    }
  });

  it('describes tyres, stops, progress and track status of each lap', () => {
    const car3 = seqOf(seqs, 3);
    const lap = (n: number) => car3.features[n - 1]!;
    expect(lap(5)[f('soft')]).toBe(1);
    expect(lap(9)[f('medium')]).toBe(1);
    expect(lap(9)[f('stopsSoFar')]).toBeCloseTo(1 / 3);
    expect(lap(9)[f('outLap')]).toBe(1);
    expect(lap(9)[f('twoCompoundsUsed')]).toBe(1);
    expect(lap(5)[f('twoCompoundsUsed')]).toBe(0);
    expect(lap(9)[f('tyreLife')]).toBeCloseTo(1 / 40);
    expect(lap(15)[f('progress')]).toBeCloseTo(0.5);
    expect(lap(10)[f('safetyCar')]).toBe(1);
    expect(lap(11)[f('safetyCar')]).toBe(0);
  });

  it('flags the teammate and the field coming in on the lap', () => {
    // Car 1 comes in at the end of lap 12: its teammate 2 sees it on lap 12, car 3 does not.
    expect(seqOf(seqs, 2).features[11]![f('teammatePitted')]).toBe(1);
    expect(seqOf(seqs, 3).features[11]![f('teammatePitted')]).toBe(0);
    expect(seqOf(seqs, 3).features[11]![f('carsPitted')]).toBeCloseTo(1 / 5);
    expect(seqOf(seqs, 2).features[10]![f('teammatePitted')]).toBe(0);
  });

  it('measures pace against the field and the stint', () => {
    const car4 = seqOf(seqs, 4);
    // No stop: tyre wear makes every lap slower than the stint's best.
    expect(car4.features[20]![f('stintPaceLoss')]).toBeGreaterThan(0);
    expect(car4.features[0]![f('stintPaceLoss')]).toBe(0);
  });

  it('labels lap t with a stop at the end of lap t+1 and the laps to the next stop', () => {
    const car1 = seqOf(seqs, 1);
    expect(car1.labels[10]).toEqual({ pitNext: true, lapsToNextStop: 1 });
    expect(car1.labels[8]).toEqual({ pitNext: false, lapsToNextStop: 3 });
    expect(car1.labels[12]).toEqual({ pitNext: false, lapsToNextStop: null });
  });

  it('holds the last W laps up to lap t in a window, left padded', () => {
    const car1 = seqOf(seqs, 1);
    const w = 5;
    const early = windowAt(car1, 1, w); // lap 2: three padding rows, then laps 1 and 2
    expect(early.subarray(0, 3 * featureCount).every((v) => v === 0)).toBe(true);
    expect(Array.from(early.subarray(3 * featureCount, 4 * featureCount))).toEqual(Array.from(car1.features[0]!));
    expect(Array.from(early.subarray(4 * featureCount))).toEqual(Array.from(car1.features[1]!));
    const late = windowAt(car1, 19, w);
    expect(Array.from(late.subarray(4 * featureCount))).toEqual(Array.from(car1.features[19]!));
    expect(Array.from(late.subarray(0, featureCount))).toEqual(Array.from(car1.features[15]!));
  });

  it("never lets the car's later laps, or the field's laps after lap t+1, into the window of lap t", () => {
    const w = 6;
    const before = buildSequences(race);
    for (const t of [3, 9, 12, 19, 25]) {
      for (const d of [1, 2, 3, 4]) {
        // Rewrite the car's laps after t and every car's laps after t+1 (none can have ended
        // by the decision point; the field's lap t+1 is test/pits/decision-point.test.ts's).
        const changed = {
          ...race,
          laps: race.laps.map((l) =>
            l.lap > t + 1 || (l.driverId === d && l.lap > t)
              ? { ...l, timeMs: 200_000, compound: 'WET' as const, tyreLife: 40, trackStatus: '45', pitIn: true, pitOut: true, stint: 9 }
              : l,
          ),
        };
        const a = seqOf(before, d);
        const b = seqOf(buildSequences(changed), d);
        const i = a.laps.indexOf(t);
        expect(Array.from(windowAt(b, i, w)), `driver ${d} lap ${t}`).toEqual(Array.from(windowAt(a, i, w)));
      }
    }
  });

  it('makes a window for every lap with a next lap, with targets for 1, 3 and 5 laps', () => {
    const set = buildWindows(seqs, 4);
    expect(set.n).toBe(4 * 29);
    expect(set.keys.some((k) => k.lap === 30)).toBe(false);
    const row = set.keys.findIndex((k) => k.driverId === 1 && k.lap === 9);
    expect(Array.from(set.targets.subarray(row * horizons.length, (row + 1) * horizons.length))).toEqual([0, 1, 1]);
    const stopRow = set.keys.findIndex((k) => k.driverId === 1 && k.lap === 11);
    expect(set.targets[stopRow * horizons.length]).toBe(1);
  });

  it('skips the label when the car did not drive lap t+1 (retired)', () => {
    const retired = syntheticRace({ totalLaps: 30, cars: fourCars });
    retired.laps = retired.laps.filter((l) => !(l.driverId === 4 && l.lap > 20));
    const set = buildWindows(buildSequences(retired), 4);
    expect(set.keys.filter((k) => k.driverId === 4).map((k) => k.lap).at(-1)).toBe(19);
  });
});
