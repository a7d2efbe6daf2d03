import { describe, expect, it } from 'vitest';
import type { CarStrategy, Compound } from '../../shared/domain/reference.js';
import { createPreRaceForecaster } from '../../shared/pits/prerace.js';

const car = (season: number, round: number, circuitId: number, startCompound: Compound, stops: number[], totalLaps = 50): CarStrategy => ({
  season, round, circuitId, totalLaps, startCompound, stops, lapsCompleted: totalLaps,
});
const cars = (n: number, make: (i: number) => CarStrategy) => Array.from({ length: n }, (_, i) => make(i));

describe('pre-race strategy forecaster', () => {
  it("takes the first stop from cars on the same starting compound at the circuit last season", () => {
    const history = [
      ...cars(5, () => car(2023, 5, 7, 'SOFT', [10])),
      ...cars(5, () => car(2023, 5, 7, 'HARD', [30])),
      ...cars(5, () => car(2023, 6, 8, 'SOFT', [20])),
    ];
    const f = createPreRaceForecaster(history);
    const race = { season: 2024, round: 5, circuitId: 7, totalLaps: 60 };
    expect(f.forecast(race, 'SOFT').firstStopLap).toBe(12); // 10/50 of 60 laps
    expect(f.forecast(race, 'HARD').firstStopLap).toBe(36);
  });

  it('falls back to the compound over every earlier race when the circuit has too few such cars', () => {
    const history = [...cars(2, () => car(2023, 5, 7, 'MEDIUM', [40])), ...cars(9, () => car(2023, 6, 8, 'MEDIUM', [20]))];
    const f = createPreRaceForecaster(history);
    expect(f.forecast({ season: 2024, round: 5, circuitId: 7, totalLaps: 50 }, 'MEDIUM').firstStopLap).toBe(20);
  });

  it("scales by how this season's earlier races compared with such forecasts, never by the race itself or a later one", () => {
    const history = [
      ...cars(20, (i) => car(2023, 1, i % 2 ? 1 : 2, 'MEDIUM', [20])),
      // This season so far: first stops 25% later than last season's pattern.
      ...cars(20, (i) => car(2024, 1, i % 2 ? 1 : 2, 'MEDIUM', [25])),
      // The race being forecast and a later one: must not be read.
      ...cars(20, () => car(2024, 2, 1, 'MEDIUM', [45])),
      ...cars(20, () => car(2024, 3, 2, 'MEDIUM', [45])),
    ];
    const f = createPreRaceForecaster(history);
    expect(f.forecast({ season: 2024, round: 2, circuitId: 1, totalLaps: 50 }, 'MEDIUM').firstStopLap).toBe(25);
    // Before any race of the season: no factor.
    expect(f.forecast({ season: 2024, round: 1, circuitId: 1, totalLaps: 50 }, 'MEDIUM').firstStopLap).toBe(20);
  });

  it("forecasts the stops of cars that ran the distance at the circuit over the two seasons before", () => {
    const history = [
      ...cars(6, () => car(2022, 3, 4, 'MEDIUM', [15, 30])),
      ...cars(4, () => car(2023, 3, 4, 'MEDIUM', [15, 30])),
      ...cars(3, () => car(2023, 3, 4, 'MEDIUM', [20])),
      // Retired early with no stop: not evidence of a no-stop race.
      ...cars(8, () => ({ ...car(2023, 3, 4, 'MEDIUM', []), lapsCompleted: 5 })),
      ...cars(20, () => car(2021, 3, 4, 'MEDIUM', [25])),
    ];
    const f = createPreRaceForecaster(history);
    expect(f.forecast({ season: 2024, round: 3, circuitId: 4, totalLaps: 50 }, 'MEDIUM').stops).toBe(2);
  });

  it('forecasts at least one stop, even after a red-flagged race where tyre changes were no stops', () => {
    const f = createPreRaceForecaster(cars(10, () => car(2023, 1, 1, 'MEDIUM', [])));
    expect(f.forecast({ season: 2024, round: 1, circuitId: 1, totalLaps: 50 }, 'MEDIUM').stops).toBe(1);
  });

  it('keeps the first stop inside the race', () => {
    const f = createPreRaceForecaster(cars(5, () => car(2023, 1, 1, 'HARD', [49])));
    expect(f.forecast({ season: 2024, round: 1, circuitId: 1, totalLaps: 40 }, 'HARD').firstStopLap).toBe(39);
  });
});
