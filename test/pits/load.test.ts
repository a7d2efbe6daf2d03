import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { buildSequences, featureNames } from '../../shared/pits/features.js';
import { loadPitRaces } from '../../shared/pits/load.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { seedRace } from './seed.js';

const pglite = backends.find((b) => b.name === 'pglite')!;

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
