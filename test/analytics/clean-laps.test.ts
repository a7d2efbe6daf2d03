import { describe, expect, it } from 'vitest';
import { cleanLaps, neutralisedLaps } from '../../shared/analytics/clean-laps.js';
import type { AnalyticsLap, AnalyticsRaceControl } from '../../shared/analytics/inputs.js';

const lap = (driverId: number, n: number, timeMs: number | null, more: Partial<AnalyticsLap> = {}): AnalyticsLap => ({
  raceId: 1, driverId, lap: n, timeMs, compound: 'MEDIUM', stint: 1, tyreLife: n, trackStatus: '1', pitIn: false, pitOut: false, ...more,
});
const message = (at: string, lapNo: number | null, text: string, flag: string | null = null): AnalyticsRaceControl => ({
  raceId: 1, at, lap: lapNo, category: flag ? 'Flag' : 'SafetyCar', flag, scope: flag ? 'Track' : null, sector: null, message: text,
});
const laps = (rows: AnalyticsLap[]) => rows.map((l) => `${l.driverId}/${l.lap}`);

describe('clean laps', () => {
  it('drops lap 1, in- and out-laps, untimed laps, and laps run under SC, VSC or red; keeps a yellow', () => {
    const rows = [
      lap(1, 1, 95_000),
      lap(1, 2, 90_000),
      lap(1, 3, 90_000, { pitIn: true }),
      lap(1, 4, 90_000, { pitOut: true }),
      lap(1, 5, 90_000, { trackStatus: '14' }), // SC came out during the lap
      lap(1, 6, 90_000, { trackStatus: '6' }), // VSC
      lap(1, 7, 90_000, { trackStatus: '5' }), // red
      lap(1, 8, 90_000, { trackStatus: '12' }), // a yellow is racing
      lap(1, 9, null),
      lap(1, 10, 90_000),
    ];
    expect(laps(cleanLaps(rows))).toEqual(['1/2', '1/8', '1/10']);
  });

  it("drops the pit stops table's in-lap and the lap after it for laps without pit flags", () => {
    const rows = [2, 3, 4, 5, 6].map((n) => lap(1, n, 90_000, { pitIn: null, pitOut: null }));
    expect(laps(cleanLaps(rows, [{ raceId: 1, driverId: 1, stop: 1, lap: 3, milliseconds: 22_000 }]))).toEqual(['1/2', '1/5', '1/6']);
  });

  it("keeps a car's laps within 107% of its own median lap and drops the rest", () => {
    // Median 90 s: the limit is 96.3 s. Another car's slower laps are measured on its own median.
    const rows = [90_000, 90_000, 90_000, 96_000, 97_000].map((t, i) => lap(1, i + 2, t));
    const slow = [100_000, 100_000, 100_000, 106_000].map((t, i) => lap(2, i + 2, t));
    expect(laps(cleanLaps([...rows, ...slow]))).toEqual(['1/2', '1/3', '1/4', '1/5', '2/2', '2/3', '2/4', '2/5']);
  });

  it('reads race control for the laps without a track status', () => {
    const control = [
      message('2024-01-01T14:10:00Z', 4, 'SAFETY CAR DEPLOYED'),
      message('2024-01-01T14:16:00Z', 6, 'TRACK CLEAR', 'GREEN'),
    ];
    const rows = [3, 4, 5, 6, 7].map((n) => lap(1, n, 90_000, { trackStatus: null }));
    expect(laps(cleanLaps(rows, [], control))).toEqual(['1/3', '1/7']);
    // A lap with its own status is read from it, race control or not.
    expect(laps(cleanLaps([lap(1, 5, 90_000, { trackStatus: '1' })], [], control))).toEqual(['1/5']);
  });
});

describe('neutralised laps from race control', () => {
  it('spans each SC, VSC or red from the lap it starts to the lap it ends; one never ended lasts to the flag', () => {
    const control = [
      message('2024-01-01T14:10:00Z', 5, 'VIRTUAL SAFETY CAR DEPLOYED'),
      message('2024-01-01T14:12:00Z', 6, 'VIRTUAL SAFETY CAR ENDING'),
      message('2024-01-01T14:12:30Z', 6, 'GREEN LIGHT - PIT EXIT OPEN', 'GREEN'),
      message('2024-01-01T14:40:00Z', 20, 'SAFETY CAR DEPLOYED'),
      // No lap on this one: it takes the lap of the message before it.
      message('2024-01-01T14:41:00Z', null, 'RED FLAG', 'RED'),
    ];
    const neutral = neutralisedLaps(control);
    expect([4, 5, 6, 7, 19, 20, 21, 50].map(neutral)).toEqual([false, true, true, false, false, true, true, true]);
  });

  it('marks nothing without a neutralisation', () => {
    const neutral = neutralisedLaps([message('2024-01-01T14:10:00Z', 5, 'YELLOW IN TRACK SECTOR 3', 'YELLOW')]);
    expect([1, 5, 10].map(neutral)).toEqual([false, false, false]);
  });
});
