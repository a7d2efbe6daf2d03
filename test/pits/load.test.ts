import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { buildSequences, featureNames } from '../../shared/pits/features.js';
import { loadPitRaces, racePitLosses } from '../../shared/pits/load.js';
import { preRaceStrategy } from '../../shared/pits/prerace.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { seedRace } from './seed.js';
import { fourCars, syntheticRace } from './synthetic-race.js';

const pglite = backends.find((b) => b.name === 'pglite')!;

describe('pit loss', () => {
  it('is the in-lap plus the out-lap less twice the green pace, per stop under green only', () => {
    // Synthetic in- and out-laps are 20 s slow each; the lap-10 safety car is no stop lap.
    const race = syntheticRace({ totalLaps: 30, scLap: 10, cars: fourCars });
    const losses = racePitLosses(race.laps);
    expect(losses).toHaveLength(fourCars.reduce((n, c) => n + c.stops.length, 0));
    for (const loss of losses) expect(Math.abs(loss - 40_000)).toBeLessThan(1_500);
    // A stop whose out-lap ran under the safety car says nothing of the green pit loss.
    const underSc = syntheticRace({ totalLaps: 30, scLap: 13, cars: fourCars });
    expect(racePitLosses(underSc.laps)).toHaveLength(losses.length - 1);
  });
});

describe('loading pit races from the database', () => {
  let db: Database;
  let repo: Repository;
  beforeAll(async () => {
    db = await pglite.open();
    repo = createRepository(db.knex);
    await seedRace(repo);
  });
  afterAll(async () => db?.close());

  it("takes the circuit's pit history from earlier seasons only", async () => {
    let [race] = (await loadPitRaces(repo, { fromSeason: 2024, toSeason: 2024 })).races;
    expect(race!.circuit).toBeUndefined();
    const seq = buildSequences(race!)[0]!;
    expect(seq.features[5]![featureNames.indexOf('circuitStintRatio')]).toBe(0);

    // The same circuit a season earlier: three drivers, stops on laps 10 | 12, 30 | 20.
    const keys = await repo.reference.keys();
    await repo.reference.upsert('seasons', [{ year: 2023 }]);
    await repo.reference.upsert('races', [{ season: 2023, round: 1, circuitId: keys.circuits.get('test_ring'), name: 'Test GP', date: '2023-03-05' }]);
    const earlier = (await repo.reference.keys()).races.get('2023/1')!;
    const d = (n: number) => keys.drivers.get(`driver_${n}`)!;
    await repo.reference.upsert('pit_stops', [
      { raceId: earlier, driverId: d(1), stop: 1, lap: 10 },
      { raceId: earlier, driverId: d(2), stop: 1, lap: 12 },
      { raceId: earlier, driverId: d(2), stop: 2, lap: 30 },
      { raceId: earlier, driverId: d(3), stop: 1, lap: 20 },
    ]);
    [race] = (await loadPitRaces(repo, { fromSeason: 2024, toSeason: 2024 })).races;
    // Stints 10, 12, 18, 20 → 15; first stops 10, 12, 20 → 12; stops 1, 2, 1 → 1.
    expect(race!.circuit).toEqual({ medianStint: 15, medianFirstStop: 12, medianStops: 1 });
    const car1 = buildSequences(race!).find((s) => s.driverId === race!.laps[0]!.driverId)!;
    expect(car1.features[5]![featureNames.indexOf('circuitFirstStopRatio')]).toBeCloseTo(6 / 12);

    // A later season at the circuit is never used.
    const only2023 = (await loadPitRaces(repo, { fromSeason: 2023, toSeason: 2023 })).skipped;
    expect(only2023).toEqual([{ season: 2023, round: 1, reason: 'no lap data' }]);
  });
});

describe.each(backends)('car strategies for the pre-race strategy forecast on $name', (backend) => {
  let db: Database;
  let repo: Repository;
  beforeAll(async () => {
    if (backend.skip) return;
    db = await backend.open();
    repo = createRepository(db.knex);
    await seedRace(repo);
  });
  afterAll(async () => db?.close());

  it.skipIf(backend.skip)('reads start tyre and stop verdicts per car, and gives a later race at the circuit its strategy', async () => {
    // The circuit a season earlier, with stored stop verdicts: a pit-lane pass (pit in, no
    // tyre change) is no stop.
    const keys = await repo.reference.keys();
    await repo.reference.upsert('seasons', [{ year: 2023 }]);
    await repo.reference.upsert('races', [{ season: 2023, round: 1, circuitId: keys.circuits.get('test_ring'), name: 'Test GP', date: '2023-03-05' }]);
    const raceId = (await repo.reference.keys()).races.get('2023/1')!;
    const d = (n: number) => keys.drivers.get(`driver_${n}`)!;
    const cars = [
      { driver: 1, compound: 'MEDIUM', stops: [9] },
      { driver: 2, compound: 'MEDIUM', stops: [12, 20] },
      { driver: 3, compound: 'MEDIUM', stops: [15] },
      { driver: 4, compound: 'SOFT', stops: [] },
    ];
    await repo.reference.upsert(
      'laps',
      cars.flatMap((c) =>
        Array.from({ length: c.driver === 4 ? 10 : 20 }, (_, i) => ({
          raceId, driverId: d(c.driver), lap: i + 1, compound: c.compound, pitIn: c.stops.includes(i + 1) || (c.driver === 1 && i + 1 === 5),
          pitStop: c.stops.includes(i + 1), sources: ['test'],
        })),
      ),
    );
    const rows = await repo.reference.carStrategies({ fromSeason: 2023, toSeason: 2023 });
    expect(rows.map((r) => [r.startCompound, r.stops, r.lapsCompleted, r.totalLaps])).toEqual([
      ['MEDIUM', [9], 20, 20],
      ['MEDIUM', [12, 20], 20, 20],
      ['MEDIUM', [15], 20, 20],
      ['SOFT', [], 10, 20],
    ]);
    expect(rows.every((r) => r.season === 2023 && r.round === 1 && r.circuitId === keys.circuits.get('test_ring'))).toBe(true);

    // What a freeze of the 2024 race stores: the distance of the circuit's previous race
    // (its own laps are not known yet), stops of the cars that ran the distance (1, 2, 1),
    // MEDIUM starters' first stops at 9, 12, 15 of 20 laps → lap 12.
    const strategy = await preRaceStrategy(repo, { season: 2024, round: 1, circuitId: keys.circuits.get('test_ring')! });
    expect(strategy).toMatchObject({ method: 'pre-race history', totalLaps: 20, stops: 1 });
    expect(strategy!.firstStopLap.MEDIUM).toBe(12);
    expect(await preRaceStrategy(repo, { season: 2023, round: 1, circuitId: keys.circuits.get('test_ring')! })).toBeNull();
  });
});
