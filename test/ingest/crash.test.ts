import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { openDumpSource } from '../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../shared/ingest/dump/read-dump.js';
import { runIngestion } from '../../shared/ingest/ingest.js';
import type { RecordBatch } from '../../shared/ingest/records.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { ergastDir, sliceBatch } from './helpers.js';

const data = requireData();
const CRASH_ROUND = 4;

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`a crash mid-way on ${backend.name}`, () => {
    let db: Database;
    let repo: Repository;
    let batch: RecordBatch;
    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      batch = sliceBatch((await readDump(await openDumpSource(ergastDir))).batch, (s, r) => s === 2024 && r <= 6);
    });
    afterAll(async () => db?.close());

    const rowsOf = async (round: number) => {
      const race = await repo.races.bySeasonRound(2024, round);
      return {
        results: (await repo.reference.results(race!.id)).length,
        standings: (await repo.reference.driverStandings(race!.id)).length,
        pitStops: (await repo.reference.pitStops(race!.id)).length,
      };
    };

    it('leaves earlier races committed and the failing race absent, and the next run completes it', async () => {
      // A real failure inside race 4's transaction: the database refuses its pit stops
      // (the last table written), after its results and standings were already written.
      await db.knex.raw(`
        CREATE FUNCTION crash_on_round() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.race_id = (SELECT id FROM races WHERE season = 2024 AND round = ${CRASH_ROUND}) THEN
            RAISE EXCEPTION 'injected crash in round ${CRASH_ROUND}';
          END IF;
          RETURN NEW;
        END $$`);
      await db.knex.raw('CREATE TRIGGER crash BEFORE INSERT ON pit_stops FOR EACH ROW EXECUTE FUNCTION crash_on_round()');

      const deps = { repo, logger: silentLogger };
      await expect(runIngestion(deps, 'dump', {}, async () => batch, { racesPerTransaction: 1 })).rejects.toThrow(/injected crash/);
      const [failed] = await repo.ingestionRuns.latest(1);
      expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/injected crash/) });
      // Counts of the committed races only.
      const expectedResults = batch.results!.filter((r) => r.round < CRASH_ROUND).length;
      expect(failed!.counts.results!.inserted).toBe(expectedResults);

      for (let round = 1; round < CRASH_ROUND; round++) {
        const rows = await rowsOf(round);
        expect(rows.results, `round ${round}`).toBeGreaterThan(0);
        expect(rows.pitStops, `round ${round}`).toBeGreaterThan(0);
      }
      for (let round = CRASH_ROUND; round <= 6; round++) {
        expect(await rowsOf(round), `round ${round}`).toEqual({ results: 0, standings: 0, pitStops: 0 });
      }

      await db.knex.raw('DROP TRIGGER crash ON pit_stops');
      const rerun = await runIngestion(deps, 'dump', {}, async () => batch, { racesPerTransaction: 1 });
      expect(rerun.status).toBe('succeeded');
      expect(rerun.tables.results).toMatchObject({ unchanged: expectedResults, inserted: batch.results!.length - expectedResults });
      for (let round = 1; round <= 6; round++) {
        const rows = await rowsOf(round);
        expect(rows.results, `round ${round}`).toBe(batch.results!.filter((r) => r.round === round).length);
        expect(rows.pitStops, `round ${round}`).toBe(batch.pitStops!.filter((r) => r.round === round).length);
      }
    });
  });
}
