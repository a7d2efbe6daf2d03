import { describe, expect, it } from 'vitest';
import type { DriverForecast, RaceForecast } from '../../shared/domain/forecast.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { forecastConfidence, InvalidForecastError, validateForecast } from '../../shared/lifecycle/validate-forecast.js';
import type { Race } from '../../shared/domain/reference.js';

const driver = (id: number, pos: number, gap: number, over: Partial<DriverForecast> = {}): DriverForecast => ({
  driverId: id, constructorId: 1, predictedPosition: pos, expectedPosition: pos, medianPosition: pos, pWin: pos === 1 ? 0.6 : 0.4 / 2,
  pPodium: 0.9, pPoints: 1, pDnf: 0.05, gapSeconds: gap, gapLowSeconds: gap / 2, gapHighSeconds: gap * 2, featureCoverage: 1,
  imputedCount: 0, ...over,
});
const forecast = (drivers: DriverForecast[]): RaceForecast => ({ raceId: 1, asOf: new Date(), modelVersion: 'm', drivers });

describe('forecast validation', () => {
  it('accepts a well-formed forecast and orders entries by predicted position', () => {
    const v = validateForecast(forecast([driver(3, 2, 4), driver(1, 1, 0), driver(2, 3, 9)]), [1, 2, 3]);
    expect(v.entries.map((e) => e.driverId)).toEqual([1, 3, 2]);
    expect(v.entries.map((e) => e.medianPosition)).toEqual([1, 2, 3]);
    expect(v.warnings).toEqual([]);
  });
  it.each([
    ['duplicate positions', [driver(1, 1, 0), driver(2, 1, 3), driver(3, 3, 5)], /positions/],
    ['a gap hole', [driver(1, 1, 0), driver(2, 2, 3), driver(3, 4, 5)], /positions/],
    ['negative gap', [driver(1, 1, -1), driver(2, 2, 3), driver(3, 3, 5)], /non-negative/],
    ['non-monotonic gaps', [driver(1, 1, 0), driver(2, 2, 8), driver(3, 3, 5)], /monotonic/],
    ['a missing entrant', [driver(1, 1, 0), driver(2, 2, 3)], /missing: 3/],
    ['an unknown driver', [driver(1, 1, 0), driver(2, 2, 3), driver(3, 3, 5), driver(9, 4, 9)], /not on the entry list: 9/],
    ['a median position off the field', [driver(1, 1, 0, { medianPosition: 4 }), driver(2, 2, 3), driver(3, 3, 5)], /median position 4 outside 1..3/],
    ['a probability above 1', [driver(1, 1, 0, { pWin: 1.2 }), driver(2, 2, 3), driver(3, 3, 5)], /pWin/],
  ])('rejects %s', (_name, drivers, message) => {
    expect(() => validateForecast(forecast(drivers), [1, 2, 3])).toThrow(InvalidForecastError);
    expect(() => validateForecast(forecast(drivers), [1, 2, 3])).toThrow(message);
  });
  it('warns on low feature coverage and flags implausible gaps', () => {
    const v = validateForecast(
      forecast([driver(1, 1, 0, { featureCoverage: 0.7 }), driver(2, 2, 30, { featureCoverage: 0.8 }), driver(3, 3, 130)]),
      [1, 2, 3],
    );
    expect(v.featureCoverage).toBeCloseTo(2.5 / 3);
    expect(v.warnings.some((w) => /coverage 83.3%/.test(w))).toBe(true);
    expect(v.entries.map((e) => e.gapFlagged)).toEqual([false, false, true]);
  });
  it('confidence is 0 for a uniform win distribution and near 1 for a certain winner', () => {
    expect(forecastConfidence([0.25, 0.25, 0.25, 0.25])).toBeCloseTo(0);
    expect(forecastConfidence([0.999, 0.0005, 0.0005])).toBeGreaterThan(0.95);
  });
});

describe('freeze policy', () => {
  const race: Race = {
    id: 1, season: 2024, round: 8, circuitId: 1, name: 'Monaco Grand Prix', url: null,
    sessions: { race: { date: '2024-05-26', time: '13:00:00' }, qualifying: { date: '2024-05-25', time: '14:00:00' } },
  };
  it('post_qualifying allows the freeze 90 minutes after qualifying starts', () => {
    expect(freezeWindow(race, { kind: 'post_qualifying' }).allowedAt.toISOString()).toBe('2024-05-25T15:30:00.000Z');
  });
  it('t_minus allows it N minutes before the race', () => {
    const w = freezeWindow(race, { kind: 't_minus', minutes: 45 });
    expect(w.allowedAt.toISOString()).toBe('2024-05-26T12:15:00.000Z');
    expect(w.sessionType).toBe('pre_race');
  });
  it('with only a qualifying date, waits for the end of that day', () => {
    const old = { ...race, sessions: { race: { date: '2004-05-23', time: null }, qualifying: { date: '2004-05-22', time: null } } };
    expect(freezeWindow(old, { kind: 'post_qualifying' }).allowedAt.toISOString()).toBe('2004-05-23T00:00:00.000Z');
  });
});
