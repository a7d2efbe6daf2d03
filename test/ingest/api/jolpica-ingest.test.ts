import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../shared/clients/http-client.js';
import { createJolpicaClient, type JolpicaClient } from '../../../shared/clients/jolpica.js';
import { jolpicaLimits } from '../../../shared/clients/pacer.js';
import type { Database } from '../../../shared/db/connect.js';
import { NotReadyError, UpstreamError } from '../../../shared/errors.js';
import { ingestJolpica, type ApiIngestDeps } from '../../../shared/ingest/api/api-ingest.js';
import { fetchRaceResults } from '../../../shared/ingest/api/fetch-race-results.js';
import { jolpicaBatch } from '../../../shared/ingest/api/jolpica-records.js';
import { runIngestion } from '../../../shared/ingest/ingest.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { createRepository, type Repository } from '../../../shared/repository/index.js';
import { virtualClock } from '../../clients/virtual-clock.js';
import { backends } from '../../helpers/databases.js';
import { emptier } from '../../helpers/emptier.js';
import { startReplayServer, type ReplayServer } from '../../helpers/replay-server.js';
import { dataDir, requireData } from '../../helpers/settings.js';

const data = requireData();

interface Mr {
  MRData: { total: string; RaceTable?: { Races: { round: string; Sprint?: unknown; PitStops?: unknown[]; SprintResults?: unknown[]; Laps?: { Timings: unknown[] }[] }[] } };
}

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`Jolpica ingestion from replayed responses on ${backend.name}`, () => {
    let server: ReplayServer;
    let db: Database;
    let repo: Repository;
    let jolpica: JolpicaClient;
    let deps: ApiIngestDeps;
    let empty: () => Promise<void>;
    // The recordings, as the expected values (read from the same files the server replays).
    const recorded = (key: string) => JSON.parse(server.recordings.get(key)!.body) as Mr;

    beforeAll(async () => {
      server = await startReplayServer(path.join(dataDir, 'api-replay'));
      db = await backend.open();
      repo = createRepository(db.knex);
      // Ergast's default page size (30): the 2023 recordings were made with it.
      const http = createHttpClient({ limits: jolpicaLimits, clock: virtualClock() });
      jolpica = createJolpicaClient({ http, baseUrl: server.jolpicaBaseUrl, pageSize: 30 });
      deps = { repo, logger: silentLogger, jolpica, now: () => new Date('2026-11-22T00:00:00Z') };
      empty = await emptier(db.knex);
    });
    afterAll(async () => {
      await server?.close();
      await db?.close();
    });
    // Each test starts from an empty, migrated database and loads what it builds on itself.
    beforeEach(async () => {
      await empty();
    });
    /** The 2023 calendar (with session times) and the 2023 drivers, from their recorded pages. */
    const load2023 = async () => {
      expect((await ingestJolpica(deps, { season: 2023, parts: ['schedule'] })).status).toBe('succeeded');
      expect((await ingestJolpica(deps, { season: 2023, parts: ['drivers'] })).status).toBe('succeeded');
    };

    it('loads the 2023 schedule with session times, then the 2023 drivers', async () => {
      const schedule = recorded('/ergast/f1/2023.json?limit=30&offset=0');
      const run = await ingestJolpica(deps, { season: 2023, parts: ['schedule'] });
      expect(run.status).toBe('succeeded');
      expect(run.tables.races).toMatchObject({ read: Number(schedule.MRData.total), inserted: Number(schedule.MRData.total), quarantined: 0 });
      const races = await repo.races.list({ fromSeason: 2023, toSeason: 2023 });
      expect(races).toHaveLength(Number(schedule.MRData.total));
      const sprintWeekends = schedule.MRData.RaceTable!.Races.filter((r) => r.Sprint).length;
      expect(races.filter((r) => r.sessions.sprint).length).toBe(sprintWeekends);
      expect(races.every((r) => r.sessions.qualifying?.date)).toBe(true);

      const drivers = recorded('/ergast/f1/2023/drivers.json?limit=30&offset=0');
      const d = await ingestJolpica(deps, { season: 2023, parts: ['drivers'] });
      expect(d.tables.drivers).toMatchObject({ read: Number(drivers.MRData.total), inserted: Number(drivers.MRData.total) });
    });

    it('loads the 2023 R9 results (20 classified rows) and is idempotent', async () => {
      await load2023();
      const total = Number(recorded('/ergast/f1/2023/9/results.json?limit=30&offset=0').MRData.total);
      const first = await ingestJolpica(deps, { season: 2023, round: 9, parts: ['results'] });
      expect(first.tables.results).toMatchObject({ read: total, inserted: total, quarantined: 0 });
      const again = await ingestJolpica(deps, { season: 2023, round: 9, parts: ['results'] });
      expect(again.tables.results).toMatchObject({ read: total, inserted: 0, updated: 0, unchanged: total });
      expect((await repo.reference.rowCounts()).results).toBe(total);
      const race = (await repo.races.list({ fromSeason: 2023, toSeason: 2023 })).find((r) => r.round === 9)!;
      // The results page carries no session times: they stay as the schedule gave them.
      expect(race.sessions.qualifying?.date).toBeTruthy();
      const results = await repo.reference.results(race.id);
      expect(results).toHaveLength(total);
    });

    it('fetchRaceResults gives the classification, or NotReadyError while unpublished', async () => {
      const batch = await fetchRaceResults(jolpica, 2023, 9);
      expect(batch.results).toHaveLength(Number(recorded('/ergast/f1/2023/9/results.json?limit=30&offset=0').MRData.total));
      // A real empty answer (the 2021 R11 sprint, total 0) where 2023 R10's results would be.
      server.inject('/2023/10/results', [{ status: 200, body: server.recordings.get('/ergast/f1/2021/11/sprint.json?limit=40&offset=0')!.body }]);
      await expect(fetchRaceResults(jolpica, 2023, 10)).rejects.toBeInstanceOf(NotReadyError);
    });

    it('loads the 2023 sprint winners and lap 1 of 2023 R10 from their recorded pages', async () => {
      await load2023();
      const sprintPage = await jolpica.page('2023/sprint/1', 30, 0);
      const sprint = await runIngestion(deps, 'jolpica', { path: '2023/sprint/1' }, async () => jolpicaBatch({ races: sprintPage.RaceTable!.Races }));
      expect(sprint.tables.sprint_results).toMatchObject({ inserted: sprintPage.total, quarantined: 0 });

      const lapPage = await jolpica.page('2023/10/laps/1', 30, 0);
      const laps = await runIngestion(deps, 'jolpica', { path: '2023/10/laps/1' }, async () => jolpicaBatch({ races: lapPage.RaceTable!.Races }));
      expect(laps.tables.laps).toMatchObject({ inserted: lapPage.total, quarantined: 0 });
      const race = (await repo.races.list({ fromSeason: 2023, toSeason: 2023 })).find((r) => r.round === 10)!;
      const rows = await repo.reference.laps(race.id);
      expect(rows).toHaveLength(lapPage.total);
      expect(rows.every((l) => l.lap === 1 && l.timeMs !== null && l.timeMs > 60_000)).toBe(true);
    });

    it('pit stops of 2023 R18: a missing page fails the run and writes nothing; the recorded page loads', async () => {
      await load2023();
      const rec = recorded('/ergast/f1/2023/18/pitstops.json?limit=30&offset=0');
      const err = await ingestJolpica(deps, { season: 2023, round: 18, parts: ['pitstops'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UpstreamError);
      const [failed] = await repo.ingestionRuns.latest(1);
      expect(failed).toMatchObject({ status: 'failed', source: 'jolpica' });
      expect(failed!.error).toContain('offset=30');
      expect((await repo.reference.rowCounts()).pit_stops).toBe(0);

      // Only the first page (30 of MRData.total 36) was recorded: load what exists.
      const page = await jolpica.page('2023/18/pitstops', 30, 0);
      const recordedStops = rec.MRData.RaceTable!.Races[0]!.PitStops!.length;
      expect(page.total).toBe(Number(rec.MRData.total));
      const run = await runIngestion(deps, 'jolpica', { path: '2023/18/pitstops', offset: 0 }, async () => jolpicaBatch({ races: page.RaceTable!.Races }));
      expect(run.tables.pit_stops).toMatchObject({ read: recordedStops, inserted: recordedStops, quarantined: 0 });
      const race = (await repo.races.list({ fromSeason: 2023, toSeason: 2023 })).find((r) => r.round === 18)!;
      const stops = await repo.reference.pitStops(race.id);
      expect(stops).toHaveLength(recordedStops);
      expect(stops.every((s) => s.milliseconds !== null && s.milliseconds > 20_000)).toBe(true);
    });

    it('loads the recorded Jolpica classifications of 2003, 2004, 2015, 2021 and 2025 without a quarantined row', async () => {
      // The vcr cassettes were recorded with limit=40.
      const http = createHttpClient({ limits: jolpicaLimits, clock: virtualClock() });
      const j40 = { ...deps, jolpica: createJolpicaClient({ http, baseUrl: server.jolpicaBaseUrl, pageSize: 40 }) };
      const total = (p: string) => Number(recorded(`/ergast/f1/${p}.json?limit=40&offset=0`).MRData.total);
      for (const [season, round] of [[2003, 1], [2025, 1], [2021, 12]] as const) {
        const run = await ingestJolpica(j40, { season, round, parts: ['results'] });
        expect(run.tables.results).toMatchObject({ read: total(`${season}/${round}/results`), inserted: total(`${season}/${round}/results`), quarantined: 0 });
      }
      for (const [season, round] of [[2004, 1], [2015, 16]] as const) {
        const run = await ingestJolpica(j40, { season, round, parts: ['qualifying'] });
        expect(run.tables.qualifying).toMatchObject({ inserted: total(`${season}/${round}/qualifying`), quarantined: 0 });
      }
      const sprint = await ingestJolpica(j40, { season: 2025, round: 2, parts: ['sprint'] });
      expect(sprint.tables.sprint_results).toMatchObject({ inserted: total('2025/2/sprint'), quarantined: 0 });
      // 2021 R12 (Belgium, no racing laps, half points): non-integer points survive.
      const spa = (await repo.races.list({ fromSeason: 2021, toSeason: 2021 })).find((r) => r.round === 12)!;
      expect((await repo.reference.results(spa.id)).some((r) => !Number.isInteger(r.points))).toBe(true);

      // 2021 R5 Monaco laps: 15 pages of 100 merged into one lap row per driver and lap.
      const laps = await j40.jolpica.laps(2021, 5).catch((e: unknown) => e);
      expect(laps).toBeInstanceOf(Error); // recorded with limit=100 only
      const j100 = createJolpicaClient({ http, baseUrl: server.jolpicaBaseUrl, pageSize: 100 });
      const monacoTotal = Number(recorded('/ergast/f1/2021/5/laps.json?limit=100&offset=0').MRData.total);
      const run = await runIngestion(deps, 'jolpica', { season: 2021, round: 5, parts: ['laps'] }, async () => jolpicaBatch({ races: await j100.laps(2021, 5) }));
      expect(run.tables.laps).toMatchObject({ read: monacoTotal, inserted: monacoTotal, quarantined: 0 });
      const monaco = (await repo.races.list({ fromSeason: 2021, toSeason: 2021 })).find((r) => r.round === 5)!;
      const rows = await repo.reference.laps(monaco.id);
      expect(rows).toHaveLength(monacoTotal);
      expect(rows.filter((r) => r.lap === 1).every((r) => r.position !== null)).toBe(true);
    });

    it('quarantines bad rows with their reasons and still loads the good ones', async () => {
      // On top of the 2023 calendar, drivers and R9 results as recorded.
      await load2023();
      expect((await ingestJolpica(deps, { season: 2023, round: 9, parts: ['results'] })).status).toBe('succeeded');
      const body = recorded('/ergast/f1/2023/9/results.json?limit=30&offset=0') as unknown as {
        MRData: { RaceTable: { Races: { Results: { laps: string; Driver?: unknown }[] }[] } };
      };
      const rows = body.MRData.RaceTable.Races[0]!.Results;
      rows[3]!.laps = '-1'; // parses, but not a valid record: the loader rejects it
      delete rows[5]!.Driver; // a missing API field: set aside by the client, the page still loads
      server.inject('/2023/9/results', [{ status: 200, body: JSON.stringify(body) }]);
      const run = await ingestJolpica(deps, { season: 2023, round: 9, parts: ['results'] });
      expect(run.status).toBe('succeeded');
      expect(run.tables.results).toMatchObject({ read: rows.length, quarantined: 2, unchanged: rows.length - 2 });
      const q = await repo.ingestionRuns.quarantined(run.runId);
      expect(q.map((r) => r.tableName)).toEqual(['results', 'results']);
      expect(q.map((r) => r.reason).join(' | ')).toMatch(/Driver/);
      expect(q.map((r) => r.reason).join(' | ')).toMatch(/laps/);
    });
  });
}
