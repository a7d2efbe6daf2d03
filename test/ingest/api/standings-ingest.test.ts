import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../shared/clients/http-client.js';
import { createJolpicaClient, type JolpicaClient } from '../../../shared/clients/jolpica.js';
import { jolpicaLimits } from '../../../shared/clients/pacer.js';
import type { Database } from '../../../shared/db/connect.js';
import { ingestJolpica, type ApiIngestDeps } from '../../../shared/ingest/api/api-ingest.js';
import { jolpicaBatch } from '../../../shared/ingest/api/jolpica-records.js';
import { runIngestion } from '../../../shared/ingest/ingest.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { createRepository, type Repository } from '../../../shared/repository/index.js';
import { virtualClock } from '../../clients/virtual-clock.js';
import { backends } from '../../helpers/databases.js';
import { loadSeasons } from '../../helpers/dump-seasons.js';
import { emptier } from '../../helpers/emptier.js';
import { startReplayServer, type ReplayServer } from '../../helpers/replay-server.js';
import { dataDir, requireData } from '../../helpers/settings.js';

const data = requireData();

interface StandingJson {
  position?: string;
  positionText: string;
  points: string;
  wins: string;
  Driver?: { driverId: string };
  Constructor?: { constructorId: string };
}
interface StandingsPage {
  MRData: { total: string; StandingsTable: { StandingsLists: { season: string; round: string; DriverStandings?: StandingJson[]; ConstructorStandings?: StandingJson[] }[] } };
}

/** A recorded standing as the loader should store it (the dump's columns). */
const expected = (s: StandingJson) => ({
  ref: s.Driver?.driverId ?? s.Constructor!.constructorId,
  points: Number(s.points),
  position: s.position === undefined ? null : Number(s.position),
  positionText: s.positionText,
  wins: Number(s.wins),
});

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`Jolpica standings ingestion from recorded responses on ${backend.name}`, () => {
    let server: ReplayServer;
    let db: Database;
    let repo: Repository;
    let jolpica: JolpicaClient;
    let deps: ApiIngestDeps;
    let empty: () => Promise<void>;
    const recorded = (key: string) => JSON.parse(server.recordings.get(key)!.body) as StandingsPage;
    const driverKey = '/ergast/f1/2023/22/driverstandings.json?limit=30&offset=0';
    // f1dataR's cassette of Jolpica: the constructors' championship after 2021's last round (R22).
    const constructorKey = '/ergast/f1/2021/last/constructorstandings.json?limit=40&offset=0';

    /** Stored standings of a race, with natural keys, in the recorded form. */
    const stored = async (season: number, round: number, kind: 'driver' | 'constructor') => {
      const race = (await repo.races.list({ fromSeason: season, toSeason: season })).find((r) => r.round === round)!;
      const rows = kind === 'driver' ? await repo.reference.driverStandings(race.id) : await repo.reference.constructorStandings(race.id);
      const refs = new Map(
        kind === 'driver'
          ? (await repo.reference.drivers()).map((d) => [d.id, d.driverRef])
          : (await repo.reference.constructors()).map((c) => [c.id, c.constructorRef]),
      );
      return rows.map((r) => ({ ref: refs.get(r.entityId), points: r.points, position: r.position, positionText: r.positionText, wins: r.wins }));
    };
    const byRef = <T extends { ref?: string }>(rows: T[]) => [...rows].sort((a, b) => String(a.ref).localeCompare(String(b.ref)));

    beforeAll(async () => {
      server = await startReplayServer(path.join(dataDir, 'api-replay'));
      db = await backend.open();
      repo = createRepository(db.knex);
      // Ergast's default page size (30): the 2023 recordings were made with it.
      jolpica = createJolpicaClient({ http: createHttpClient({ limits: jolpicaLimits, clock: virtualClock() }), baseUrl: server.jolpicaBaseUrl, pageSize: 30 });
      deps = { repo, logger: silentLogger, jolpica, now: () => new Date('2026-11-22T00:00:00Z') };
      empty = await emptier(db.knex);
    });
    afterAll(async () => {
      await server?.close();
      await db?.close();
    });
    beforeEach(async () => {
      await empty();
    });

    it('the standings part of 2023 R22 stores the recorded drivers’ championship (points, position, positionText, wins)', async () => {
      expect((await ingestJolpica(deps, { season: 2023, parts: ['schedule'] })).status).toBe('succeeded');
      const rec = recorded(driverKey);
      const rows = rec.MRData.StandingsTable.StandingsLists[0]!.DriverStandings!;
      expect(rows).toHaveLength(Number(rec.MRData.total));
      // The recorded page holds only the drivers' table: the constructors' one is not recorded, an empty answer stands in.
      server.inject('/2023/22/constructorStandings', [{ status: 200, body: JSON.stringify({ MRData: { limit: '30', offset: '0', total: '0', StandingsTable: { StandingsLists: [] } } }) }]);
      const run = await ingestJolpica(deps, { season: 2023, round: 22, parts: ['standings'] });
      expect(run.status).toBe('succeeded');
      expect(run.tables.driver_standings).toMatchObject({ read: rows.length, inserted: rows.length, quarantined: 0 });
      expect(byRef(await stored(2023, 22, 'driver'))).toEqual(byRef(rows.map(expected)));
      // Fractional points and a champion with 19 wins came through as numbers.
      expect((await stored(2023, 22, 'driver')).find((r) => r.ref === 'max_verstappen')).toMatchObject({ position: 1, wins: 19, points: 575 });
    });

    it('the recorded constructors’ championship loads through the loader and equals the dump’s rows; so do the drivers’', async () => {
      // The dump's 2021 and 2023 seasons, standings included: the API rows must leave them unchanged.
      await loadSeasons(repo, [2021, 2023]);
      const rec = recorded(constructorKey);
      const list = rec.MRData.StandingsTable.StandingsLists[0]!;
      expect(list).toMatchObject({ season: '2021', round: '22' });
      const rows = list.ConstructorStandings!;
      const dumpRows = await stored(2021, 22, 'constructor');
      server.inject('/2021/22/constructorStandings', [{ status: 200, body: server.recordings.get(constructorKey)!.body }]);
      const fetched = await createJolpicaClient({ http: createHttpClient({ limits: jolpicaLimits, clock: virtualClock() }), baseUrl: server.jolpicaBaseUrl, pageSize: 40 }).constructorStandings(2021, 22);
      expect(fetched).toHaveLength(1);
      const run = await runIngestion(deps, 'jolpica', { season: 2021, round: 22, parts: ['standings'] }, async () => jolpicaBatch({ standings: fetched }));
      expect(run.tables.constructor_standings).toMatchObject({ read: rows.length, inserted: 0, updated: 0, unchanged: rows.length, quarantined: 0 });
      expect(byRef(await stored(2021, 22, 'constructor'))).toEqual(byRef(rows.map(expected)));
      expect(byRef(dumpRows)).toEqual(byRef(rows.map(expected)));

      const drivers = recorded(driverKey).MRData.StandingsTable.StandingsLists[0]!.DriverStandings!;
      const d = await runIngestion(deps, 'jolpica', { season: 2023, round: 22 }, async () => jolpicaBatch({ standings: await jolpica.driverStandings(2023, 22) }));
      expect(d.tables.driver_standings).toMatchObject({ read: drivers.length, unchanged: drivers.length, quarantined: 0 });
    });

    it('a standing the client cannot parse is quarantined with its reason; the others load', async () => {
      expect((await ingestJolpica(deps, { season: 2023, parts: ['schedule'] })).status).toBe('succeeded');
      const body = recorded(driverKey);
      const rows = body.MRData.StandingsTable.StandingsLists[0]!.DriverStandings!;
      rows[2]!.points = 'lots';
      server.inject('/2023/22/driverStandings', [{ status: 200, body: JSON.stringify(body) }]);
      const run = await runIngestion(deps, 'jolpica', { season: 2023, round: 22 }, async () => jolpicaBatch({ standings: await jolpica.driverStandings(2023, 22) }));
      expect(run.tables.driver_standings).toMatchObject({ inserted: rows.length - 1, quarantined: 1 });
      const q = await repo.ingestionRuns.quarantined(run.runId);
      expect(q.map((r) => r.tableName)).toEqual(['driver_standings']);
      expect(q[0]!.reason).toMatch(/points/);
    });
  });
}
