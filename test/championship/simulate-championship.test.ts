import { describe, expect, it } from 'vitest';
import { racePoints, sprintPoints } from '../../shared/championship/points-system.js';
import { simulateChampionship, type RemainingRace, type SimEntrant } from '../../shared/championship/simulate-championship.js';

const entrant = (driverId: number, constructorId: number, strength = 0, pDnf = 0): SimEntrant => ({ driverId, constructorId, strength, pDnf });
const race = (round: number, entrants: SimEntrant[], over: Partial<RemainingRace> = {}): RemainingRace => ({ round, entrants, points: racePoints(2018, round, 21), sprint: null, badRace: 0, ...over });
/** Four standard errors of a share p estimated from n samples. */
const tolerance = (p: number, n: number) => 4 * Math.sqrt((p * (1 - p)) / n);

describe('championship Monte Carlo on cases solved by hand', () => {
  it('a lead no remaining race can close is a title with probability 1', () => {
    const odds = simulateChampionship({
      drivers: [{ id: 1, points: 100, wins: 3 }, { id: 2, points: 40, wins: 1 }],
      constructors: [{ id: 10, points: 100, wins: 3 }, { id: 20, points: 40, wins: 1 }],
      remaining: [race(20, [entrant(1, 10), entrant(2, 20, 5)]), race(21, [entrant(1, 10), entrant(2, 20, 5)])],
      samples: 2000,
      seed: 1,
    });
    // At most 2 × 25 = 50 points left for driver 2: 90 < 100.
    expect(odds.drivers.find((d) => d.id === 1)!.pTitle).toBe(1);
    expect(odds.drivers.find((d) => d.id === 2)!.pTitle).toBe(0);
    expect(odds.constructors.find((c) => c.id === 10)!.pTitle).toBe(1);
  });

  it('two equal drivers with one race left: each takes the title half the time, within sampling error', () => {
    const n = 20_000;
    const odds = simulateChampionship({
      drivers: [{ id: 1, points: 50, wins: 1 }, { id: 2, points: 50, wins: 1 }, { id: 3, points: 0, wins: 0 }],
      constructors: [],
      remaining: [race(21, [entrant(1, 10), entrant(2, 20), entrant(3, 30, -50)])],
      samples: n,
      seed: 7,
    });
    for (const id of [1, 2]) expect(Math.abs(odds.drivers.find((d) => d.id === id)!.pTitle - 0.5)).toBeLessThan(tolerance(0.5, n));
    expect(odds.drivers.find((d) => d.id === 3)!.pTitle).toBe(0);
    expect(odds.drivers.every((d) => d.pTop3 === 1)).toBe(true);
  });

  it('the race is Plackett–Luce: with the title to the race winner, P(title) is each strength weight over their sum', () => {
    const n = 30_000;
    const weights = [3, 2, 1];
    const odds = simulateChampionship({
      drivers: weights.map((_, i) => ({ id: i + 1, points: 0, wins: 0 })),
      constructors: [],
      remaining: [race(21, weights.map((w, i) => entrant(i + 1, 10 + i, Math.log(w))))],
      samples: n,
      seed: 3,
    });
    weights.forEach((w, i) => {
      const p = w / 6;
      expect(Math.abs(odds.drivers.find((d) => d.id === i + 1)!.pTitle - p), `driver ${i + 1}`).toBeLessThan(tolerance(p, n));
    });
  });

  it('ties on points go to the driver with more wins, then to a fair draw', () => {
    const n = 10_000;
    const odds = simulateChampionship({
      drivers: [{ id: 1, points: 200, wins: 2 }, { id: 2, points: 200, wins: 5 }, { id: 3, points: 150, wins: 0 }, { id: 4, points: 150, wins: 0 }],
      constructors: [],
      remaining: [],
      samples: n,
      seed: 11,
    });
    expect(odds.drivers.find((d) => d.id === 2)!.pTitle).toBe(1);
    // 3 and 4 share third place: each is in the top three half the time.
    for (const id of [3, 4]) expect(Math.abs(odds.drivers.find((d) => d.id === id)!.pTop3 - 0.5)).toBeLessThan(tolerance(0.5, n));
  });

  it('a car that always wins adds each remaining race, sprint and fastest lap to its points and its team scores both cars', () => {
    // 2023: 25 for a win, 18 for second, a fastest-lap point in the top ten, 8 and 7 in a sprint.
    const entrants = [entrant(1, 10, 60), entrant(2, 10, 30), entrant(3, 20), entrant(4, 20)];
    const odds = simulateChampionship({
      drivers: [{ id: 1, points: 10, wins: 0 }],
      constructors: [{ id: 10, points: 10, wins: 0 }],
      remaining: [race(21, entrants, { points: racePoints(2023, 21, 22), sprint: sprintPoints(2023) }), race(22, entrants, { points: racePoints(2023, 22, 22) })],
      samples: 500,
      seed: 5,
    });
    const d1 = odds.drivers.find((d) => d.id === 1)!;
    expect(d1.expectedPoints).toBe(10 + 8 + 2 * (25 + 1));
    expect([d1.p10, d1.p50, d1.p90]).toEqual([70, 70, 70]);
    expect(odds.constructors.find((c) => c.id === 10)!.expectedPoints).toBe(10 + 8 + 7 + 2 * (25 + 18 + 1));
    expect(d1.histogram.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
  });

  it('a car that always retires scores nothing; the same seed draws the same seasons', () => {
    const input = {
      drivers: [{ id: 1, points: 30, wins: 1 }, { id: 2, points: 20, wins: 0 }],
      constructors: [],
      remaining: [race(21, [entrant(1, 10, 5, 1), entrant(2, 20, 0, 0.2), entrant(3, 30, 0, 0.2)])],
      samples: 3000,
      seed: 9,
    };
    const odds = simulateChampionship(input);
    expect(odds.drivers.find((d) => d.id === 1)!.expectedPoints).toBe(30);
    expect(simulateChampionship(input)).toEqual(odds);
    expect(odds.drivers.reduce((s, d) => s + d.pTitle, 0)).toBeCloseTo(1, 9);
  });
});

describe('the season-long strength change', () => {
  it('leaves a dominant car certain without it, and gives its rivals a chance with it', () => {
    const entrants = [entrant(1, 10, 3), entrant(2, 20, 0), entrant(3, 30, 0)];
    const input = {
      drivers: [{ id: 1, points: 0, wins: 0 }],
      constructors: [],
      remaining: Array.from({ length: 10 }, (_, k) => race(12 + k, entrants)),
      samples: 4000,
      seed: 2,
    };
    const without = simulateChampionship(input).drivers.find((d) => d.id === 1)!.pTitle;
    const withSd = simulateChampionship({ ...input, strengthSd: 2 }).drivers.find((d) => d.id === 1)!.pTitle;
    expect(without).toBeGreaterThan(0.99);
    expect(withSd).toBeLessThan(without - 0.1);
  });
});
