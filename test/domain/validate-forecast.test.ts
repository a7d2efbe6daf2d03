import { describe, expect, it } from 'vitest';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { SimulatedClock } from '../../shared/clock.js';
import { predict } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { buildSeason } from '../helpers/builders.js';
import type { DriverForecast, RaceForecast } from '../../shared/domain/forecast.js';
import { forecastConfidence, InvalidForecastError, validateForecast } from '../../shared/lifecycle/validate-forecast.js';

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

describe('a forecast that fails validation', () => {
  it('is refused before it is frozen, naming the fault, and nothing is stored', async () => {
    const repo = createMemoryRepository();
    const season = await buildSeason(repo);
    const race = season.races[2]!;
    const policy = { kind: 'post_qualifying' } as const;
    const clock = new SimulatedClock(freezeWindow(race, policy).allowedAt);
    const base = new QualifyingOrderForecaster(repo);
    const broken = {
      version: base.version,
      forecast: async (raceId: number, asOf: Date) => {
        const f = await base.forecast(raceId, asOf);
        return { ...f, drivers: f.drivers.map((d) => (d.predictedPosition === 5 ? { ...d, gapSeconds: 1 } : d)) };
      },
    };
    const err = await predict({ repo, clock, policy, forecaster: async () => broken }, { year: 2024, race: 'Monaco' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidForecastError);
    expect((err as InvalidForecastError).details).toEqual({ problems: ['gaps are not monotonic at P5'] });
    expect(await repo.predictions.count()).toBe(0);
  });

  it('an entrant the model left out is refused', async () => {
    const repo = createMemoryRepository();
    const season = await buildSeason(repo);
    const race = season.races[0]!;
    const policy = { kind: 'post_qualifying' } as const;
    const base = new QualifyingOrderForecaster(repo);
    const short = {
      version: base.version,
      forecast: async (id: number, at: Date) => {
        const f = await base.forecast(id, at);
        return { ...f, drivers: f.drivers.slice(0, 5) };
      },
    };
    const clock = new SimulatedClock(freezeWindow(race, policy).allowedAt);
    await expect(predict({ repo, clock, policy, forecaster: async () => short }, { year: 2024, race: '1' })).rejects.toThrow(`entered drivers missing: ${season.drivers[5]}`);
    expect(await repo.predictions.count()).toBe(0);
  });
});
