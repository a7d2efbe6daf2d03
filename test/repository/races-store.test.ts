import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';

for (const backend of backends) {
  describe.skipIf(backend.skip)(`races store on ${backend.name}`, () => {
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

    it('maps rows to domain races with session times and no snake_case', async () => {
      const repo = createRepository(db.knex);
      const race = await repo.races.bySeasonRound(2024, 8);
      expect(race).toMatchObject({
        season: 2024,
        round: 8,
        name: 'Monaco Grand Prix',
        sessions: { race: { date: '2024-05-26', time: '13:00:00' }, qualifying: { date: '2024-05-25', time: '14:00:00' } },
      });
      expect(race!.sessions.sprint).toBeUndefined();
      expect(Object.keys(race!)).not.toContain('circuit_id');
      expect(typeof race!.id).toBe('number');
    });

    it('rejects a race whose qualifying is after the race (CHECK constraint)', async () => {
      await expect(
        db.knex('races').insert({ season: 2024, round: 9, circuit_id: 1, name: 'x', race_date: '2024-06-01', quali_date: '2024-06-02' }),
      ).rejects.toThrow(/check constraint/i);
    });

    it('counts come back as numbers on both drivers', async () => {
      const [row] = await db.knex('races').count({ n: '*' });
      expect(row?.n).toBe(1);
    });

    it('records an ingestion run and its quarantined rows', async () => {
      const repo = createRepository(db.knex);
      const run = await repo.ingestionRuns.start('dump', { path: '/x' });
      expect(run.status).toBe('running');
      await repo.ingestionRuns.quarantine([{ runId: run.id, source: 'dump', tableName: 'results', raw: { a: 1 }, reason: 'bad grid' }]);
      const done = await repo.ingestionRuns.finish(run.id, {
        counts: { results: { read: 2, inserted: 1, updated: 0, unchanged: 0, quarantined: 1 } },
      });
      expect(done.status).toBe('succeeded');
      expect(done.finishedAt).toBeInstanceOf(Date);
      expect(await repo.ingestionRuns.quarantined(run.id)).toEqual([
        { runId: run.id, source: 'dump', tableName: 'results', raw: { a: 1 }, reason: 'bad grid' },
      ]);
    });
  });
}
