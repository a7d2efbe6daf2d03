import type { Repository } from '../../shared/repository/index.js';
import { fourCars, syntheticRace } from './synthetic-race.js';

export const TOTAL = 30;

/** A stored race: reference rows and laps through the repository, as ingest writes them. */
export async function seedRace(repo: Repository): Promise<number> {
  await repo.reference.upsert('seasons', [{ year: 2024 }]);
  await repo.reference.upsert('circuits', [{ circuitRef: 'test_ring', name: 'Test Ring' }]);
  await repo.reference.upsert('drivers', fourCars.map((c) => ({ driverRef: `driver_${c.driverId}`, forename: 'A', surname: `Driver ${c.driverId}` })));
  await repo.reference.upsert('constructors', [{ constructorRef: 'team_a', name: 'Team A' }, { constructorRef: 'team_b', name: 'Team B' }]);
  await repo.reference.ensure('status', ['Finished']);
  let keys = await repo.reference.keys();
  await repo.reference.upsert('races', [{ season: 2024, round: 1, circuitId: keys.circuits.get('test_ring'), name: 'Test GP', date: '2024-03-02' }]);
  keys = await repo.reference.keys();
  const raceId = keys.races.get('2024/1')!;
  const driverId = (d: number) => keys.drivers.get(`driver_${d}`)!;
  const teamId = (c: number) => keys.constructors.get(c === 10 ? 'team_a' : 'team_b')!;
  await repo.reference.upsert(
    'results',
    fourCars.map((c, i) => ({
      raceId, driverId: driverId(c.driverId), constructorId: teamId(c.constructorId), number: c.driverId, grid: i + 1, position: i + 1,
      positionText: String(i + 1), positionOrder: i + 1, points: 0, laps: TOTAL, statusId: keys.status.get('Finished'),
    })),
  );
  const race = syntheticRace({ totalLaps: TOTAL, scLap: 10, cars: fourCars });
  await repo.reference.upsert(
    'laps',
    race.laps.map(({ sources, ...l }) => ({ ...l, raceId, driverId: driverId(l.driverId), sources })),
  );
  return raceId;
}

