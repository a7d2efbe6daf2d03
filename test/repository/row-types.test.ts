import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { backends } from '../helpers/databases.js';

for (const backend of backends) {
  describe.skipIf(backend.skip)(`row types (db/types.ts) on ${backend.name}`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await backend.open();
      await db.knex('seasons').insert({ year: 2024 });
      const [circuit] = await db.knex('circuits').insert({ circuit_ref: 'monaco', name: 'Circuit de Monaco' }).returning('id');
      await db.knex('races').insert({
        season: 2024,
        round: 8,
        circuit_id: circuit.id,
        name: 'Monaco Grand Prix',
        race_date: '2024-05-26',
        race_time: '13:00:00',
        quali_date: '2024-05-25',
        quali_time: '14:00:00',
      });
    });
    afterAll(async () => db?.close());

    it('counts come back as numbers on both drivers', async () => {
      const [row] = await db.knex('races').count({ n: '*' });
      expect(row?.n).toBe(1);
    });
  });
}
