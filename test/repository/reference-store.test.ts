import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';

for (const backend of backends) {
  describe.skipIf(backend.skip)(`reference store on ${backend.name}`, () => {
    let db: Database;
    let repo: Repository;
    let raceId: number;
    let driverId: number;
    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      await repo.reference.upsert('seasons', [{ year: 2024 }]);
      await repo.reference.upsert('circuits', [{ circuitRef: 'monaco', name: 'Circuit de Monaco', ergastId: 6 }]);
      const keys = await repo.reference.keys();
      await repo.reference.upsert('races', [{ season: 2024, round: 8, circuitId: keys.circuits.get('monaco'), name: 'Monaco Grand Prix', date: '2024-05-26' }]);
      raceId = (await repo.races.bySeasonRound(2024, 8))!.id;
    });
    afterAll(async () => db?.close());

    it('counts inserted, updated and unchanged rows of a natural-key upsert', async () => {
      const drivers = [
        { driverRef: 'leclerc', forename: 'Charles', surname: 'Leclerc', code: 'LEC', number: 16 },
        { driverRef: 'piastri', forename: 'Oscar', surname: 'Piastri', code: 'PIA', number: 81 },
      ];
      expect(await repo.reference.upsert('drivers', drivers)).toEqual({ inserted: 2, updated: 0, unchanged: 0 });
      expect(await repo.reference.upsert('drivers', [drivers[0]!, { ...drivers[1]!, number: 82 }])).toEqual({ inserted: 0, updated: 1, unchanged: 1 });
      const stored = await repo.reference.drivers();
      expect(stored.find((d) => d.driverRef === 'piastri')).toMatchObject({ number: 82, code: 'PIA', dob: null });
      driverId = stored.find((d) => d.driverRef === 'leclerc')!.id;
    });

    it('keeps a known ergast_id when a source without one upserts the row', async () => {
      expect(await repo.reference.upsert('circuits', [{ circuitRef: 'monaco', name: 'Circuit de Monaco' }])).toMatchObject({ unchanged: 1 });
      const [row] = await db.knex('circuits').where({ circuit_ref: 'monaco' });
      expect(row.ergast_id).toBe(6);
    });

    it('merges lap rows from several sources column by column, unioning sources', async () => {
      const fromErgast = { raceId, driverId, lap: 5, position: 1, timeMs: 75_000, sources: ['ergast'] };
      const fromStints = { raceId, driverId, lap: 5, compound: 'HARD', stint: 2, tyreLife: 4, sources: ['openf1'] };
      expect(await repo.reference.upsert('laps', [fromErgast])).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
      expect(await repo.reference.upsert('laps', [fromStints])).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
      expect(await repo.reference.upsert('laps', [fromStints])).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
      const [lap] = await repo.reference.laps(raceId, driverId);
      expect(lap).toMatchObject({ lap: 5, position: 1, timeMs: 75_000, compound: 'HARD', stint: 2, tyreLife: 4, sources: ['ergast', 'openf1'] });
    });

    it('uses COPY staging for large batches inside a transaction with the same counts', async () => {
      const rows = Array.from({ length: 300 }, (_, i) => ({ raceId, driverId, lap: 10 + i, timeMs: 80_000 + i, sources: ['fastf1'] }));
      const first = await repo.withTransaction((trx) => trx.reference.upsert('laps', rows));
      expect(first).toEqual({ inserted: 300, updated: 0, unchanged: 0 });
      const again = await repo.withTransaction((trx) => trx.reference.upsert('laps', rows.map((r, i) => (i < 5 ? { ...r, timeMs: 1 } : r))));
      expect(again).toEqual({ inserted: 0, updated: 5, unchanged: 295 });
      expect((await repo.reference.laps(raceId, driverId)).length).toBe(301);
    });

    it('results are keyed by race, driver and car number (shared drives) and read with status text', async () => {
      await repo.reference.upsert('constructors', [{ constructorRef: 'ferrari', name: 'Ferrari' }]);
      await repo.reference.ensure('status', ['Finished']);
      const keys = await repo.reference.keys();
      const base = { raceId, driverId, constructorId: keys.constructors.get('ferrari'), grid: 1, positionText: '1', positionOrder: 1, points: 25, laps: 78, statusId: keys.status.get('Finished') };
      expect(await repo.reference.upsert('results', [{ ...base, number: 16 }, { ...base, number: null, positionOrder: 2, positionText: '2' }])).toMatchObject({ inserted: 2 });
      expect(await repo.reference.upsert('results', [{ ...base, number: null, positionOrder: 2, positionText: '2' }])).toMatchObject({ unchanged: 1 });
      const results = await repo.reference.results(raceId);
      expect(results.map((r) => [r.number, r.status])).toEqual([[16, 'Finished'], [null, 'Finished']]);
    });
  });
}
