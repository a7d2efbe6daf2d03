import { describe, expect, it } from 'vitest';
import type { AnalyticsLap } from '../../shared/analytics/inputs.js';
import { racePace } from '../../shared/analytics/race-pace.js';
import { degradationByCompound, stintSlopes } from '../../shared/analytics/tyre-degradation.js';
import { isWet, wetLapShare } from '../../shared/analytics/wet-races.js';

const lap = (driverId: number, n: number, timeMs: number, more: Partial<AnalyticsLap> = {}): AnalyticsLap => ({
  raceId: 1, driverId, lap: n, timeMs, compound: 'MEDIUM', stint: 1, tyreLife: n, trackStatus: '1', pitIn: false, pitOut: false, ...more,
});
/** Five cars over laps 2–7 at fixed paces: 89, 90, 91, 92, 93 s; the field median is 91 s. */
const field = [89_000, 90_000, 91_000, 92_000, 93_000].flatMap((t, car) => [2, 3, 4, 5, 6, 7].map((n) => lap(car + 1, n, t)));

describe('race pace', () => {
  it("is the median of a car's clean laps against the field's median lap", () => {
    const p = racePace(field, new Set([1]))!;
    expect(p.deltaSeconds).toBe(-2);
    expect(p.deltaPct).toBeCloseTo((-2 / 91) * 100, 10);
    expect(p.laps).toBe(6);
    expect(racePace(field, new Set([3]))!.deltaSeconds).toBe(0);
  });

  it("pools a team's two cars", () => {
    // Cars 1 and 5: six laps at −2 s and six at +2 s.
    const p = racePace(field, new Set([1, 5]))!;
    expect(p.laps).toBe(12);
    expect(p.deltaSeconds).toBe(0);
  });

  it('leaves out laps with fewer than 5 cars to compare with, and a race with fewer than 5 such laps', () => {
    const thin = field.filter((l) => !(l.lap >= 4 && l.driverId === 5)); // laps 4–7: four cars only
    expect(racePace(thin, new Set([1]))).toBeNull(); // two comparable laps left
    const extra = [...field, lap(1, 8, 80_000)]; // car 1 alone on lap 8: no field
    expect(racePace(extra, new Set([1]))!.laps).toBe(6);
  });
});

describe('tyre degradation', () => {
  const stint = (driverId: number, stintNo: number, compound: AnalyticsLap['compound'], from: number, perLap: number, count: number, raceId = 1) =>
    Array.from({ length: count }, (_, k) => lap(driverId, from + k, 90_000 + Math.round(perLap * 1000 * k), { stint: stintNo, compound, raceId }));

  it('fits each stint of 5+ clean laps on one compound: the slope of lap time on lap, s/lap', () => {
    const slopes = stintSlopes([...stint(1, 1, 'MEDIUM', 2, 0.1, 6), ...stint(1, 2, 'HARD', 8, 0.05, 4)], new Set([1]));
    expect(slopes).toHaveLength(1); // the 4-lap stint is too short
    expect(slopes[0]).toMatchObject({ stint: 1, compound: 'MEDIUM', laps: 6 });
    expect(slopes[0]!.secondsPerLap).toBeCloseTo(0.1, 10);
  });

  it('leaves out a stint whose laps name two compounds or no known one', () => {
    const mixed = stint(1, 1, 'MEDIUM', 2, 0.1, 6).map((l, i) => (i === 0 ? { ...l, compound: 'SOFT' as const } : l));
    expect(stintSlopes([...mixed, ...stint(1, 2, 'UNKNOWN', 10, 0.1, 6)], new Set([1]))).toEqual([]);
  });

  it('takes the median slope per compound, with its stints and races', () => {
    const slopes = stintSlopes([
      ...stint(1, 1, 'HARD', 2, 0.1, 6),
      ...stint(2, 1, 'HARD', 2, 0.3, 6),
      ...stint(1, 1, 'HARD', 2, 0.2, 6, 2),
      ...stint(1, 2, 'SOFT', 10, 0.15, 5, 2),
    ], new Set([1, 2]));
    const by = degradationByCompound(slopes);
    expect(by.map((c) => c.compound)).toEqual(['SOFT', 'HARD']);
    expect(by[1]).toMatchObject({ stints: 3, races: 2 });
    expect(by[1]!.medianSecondsPerLap).toBeCloseTo(0.2, 10);
  });
});

describe('wet races', () => {
  it('are the races with 5% or more of the known-compound laps on intermediates or wets', () => {
    const of = (wet: number, dry: number, unknown = 0) => [
      ...Array.from({ length: wet }, () => ({ compound: 'INTERMEDIATE' as const })),
      ...Array.from({ length: dry }, () => ({ compound: 'HARD' as const })),
      ...Array.from({ length: unknown }, () => ({ compound: 'UNKNOWN' as const })),
    ];
    expect(wetLapShare(of(5, 95, 50))).toBe(0.05);
    expect(isWet(wetLapShare(of(5, 95)))).toBe(true);
    expect(isWet(wetLapShare(of(4, 96)))).toBe(false);
    expect(wetLapShare(of(0, 0, 10))).toBeNull();
    expect(isWet(null)).toBeNull();
  });
});
