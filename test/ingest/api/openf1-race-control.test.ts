import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../shared/clients/http-client.js';
import { createOpenF1Client } from '../../../shared/clients/openf1.js';
import { openf1Limits } from '../../../shared/clients/pacer.js';
import type { Database } from '../../../shared/db/connect.js';
import { ingestOpenF1, type ApiIngestDeps } from '../../../shared/ingest/api/api-ingest.js';
import { openf1RaceControlRecords } from '../../../shared/ingest/api/openf1-race-control.js';
import { openDumpSource } from '../../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../../shared/ingest/dump/read-dump.js';
import { loadRecords } from '../../../shared/ingest/load.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { createRepository, type Repository } from '../../../shared/repository/index.js';
import { virtualClock } from '../../clients/virtual-clock.js';
import { raceControl9102 } from '../../fixtures/openf1/race-control-9102.js';
import { backends } from '../../helpers/databases.js';
import { startReplayServer, type ReplayServer } from '../../helpers/replay-server.js';
import { dataDir, requireData } from '../../helpers/settings.js';
import { ergastDir, sliceBatch } from '../helpers.js';

const data = requireData();
const RACE_SESSION = 9102; // 2023 Spanish GP race (meeting 1211), in the recorded /sessions
// OpenF1's own answer for a filter with no rows: nothing of this race is recorded but /sessions.
const noResults = { status: 404, body: JSON.stringify({ detail: 'No results found.' }) };

describe('OpenF1 race control records', () => {
  it('maps each message; a car no entrant had is kept with no driver and a warning', () => {
    const messages = [raceControl9102[7]!, { ...raceControl9102[7]!, driver_number: 99 }, raceControl9102[4]!];
    const { records, warnings } = openf1RaceControlRecords({ season: 2023, round: 7 }, new Map([[1, 'max_verstappen']]), messages);
    expect(records).toEqual([
      {
        season: 2023, round: 7, session: 'race', sessionKey: 9102, at: '2023-06-04T14:21:01+00:00', lap: 59, driverRef: 'max_verstappen',
        category: 'Flag', flag: 'BLACK AND WHITE', scope: 'Driver', sector: null, message: 'BLACK AND WHITE FLAG FOR CAR 1 (VER) - TRACK LIMITS',
      },
      expect.objectContaining({ driverRef: null, message: 'BLACK AND WHITE FLAG FOR CAR 1 (VER) - TRACK LIMITS' }),
      expect.objectContaining({ driverRef: null, category: 'SafetyCar', flag: null, message: 'VIRTUAL SAFETY CAR DEPLOYED' }),
    ]);
    expect(warnings).toEqual([{ table: 'race_control', raw: messages[1], reason: 'openf1 race control: no car #99 among the entrants of 2023 R7; kept with no driver' }]);
  });
});

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`OpenF1 race control through the loader on ${backend.name}`, () => {
    let server: ReplayServer;
    let db: Database;
    let repo: Repository;
    let deps: ApiIngestDeps;
    let raceId: number;
    let driverIdOf: Map<string, number>;

    /** The session's other endpoints answer "no rows"; race control answers `body` (the fixture by default). */
    const serve = (body: unknown = raceControl9102) => {
      for (const endpoint of ['laps', 'stints', 'pit']) server.inject(`/v1/${endpoint}?session_key=${RACE_SESSION}`, [noResults]);
      server.inject('/v1/weather?meeting_key=1211', [noResults]);
      server.inject(`/v1/race_control?session_key=${RACE_SESSION}`, [{ status: 200, body: JSON.stringify(body) }]);
    };

    beforeAll(async () => {
      server = await startReplayServer(path.join(dataDir, 'api-replay'));
      db = await backend.open();
      repo = createRepository(db.knex);
      // The race and its entrants (car numbers) from the Ergast dump: 2023 R7, Spain.
      const { batch } = await readDump(await openDumpSource(ergastDir));
      const run = await repo.ingestionRuns.start('dump', {});
      await loadRecords(repo, sliceBatch(batch, (s, r) => s === 2023 && r === 7), { run, source: 'dump' });
      const race = (await repo.races.listSeason(2023)).find((r) => r.round === 7)!;
      expect(race.name).toBe('Spanish Grand Prix');
      raceId = race.id;
      driverIdOf = new Map((await repo.reference.drivers()).map((d) => [d.driverRef, d.id]));
      const http = createHttpClient({ limits: openf1Limits, clock: virtualClock() });
      deps = { repo, logger: silentLogger, openf1: createOpenF1Client({ http, baseUrl: server.openf1BaseUrl }), now: () => new Date('2026-11-22T00:00:00Z') };
    });
    afterAll(async () => {
      await server?.close();
      await db?.close();
    });
    beforeEach(async () => {
      await db.knex('race_control').del();
    });

    it('stores every message of the race session with its instant, lap and driver; a second run changes nothing', async () => {
      serve();
      const run = await ingestOpenF1(deps, { sessionKeys: [RACE_SESSION] });
      expect(run.status).toBe('succeeded');
      expect(server.requests).toContain(`/v1/race_control?session_key=${RACE_SESSION}`);
      const n = raceControl9102.length;
      expect(run.tables.race_control).toEqual({ read: n, inserted: n, updated: 0, unchanged: 0, quarantined: 0 });
      expect(await repo.ingestionRuns.notes(run.runId)).toEqual([]);

      const stored = await repo.reference.raceControl(raceId);
      // Each fixture row as stored: UTC instant, the car resolved through the race's entrants.
      const expected = raceControl9102.map((m) => ({
        raceId, session: 'race', sessionKey: RACE_SESSION, at: new Date(m.date).toISOString(), lap: m.lap_number,
        driverId: m.driver_number === null ? null : driverIdOf.get(({ 1: 'max_verstappen', 44: 'hamilton' } as Record<number, string>)[m.driver_number]!)!,
        category: m.category, flag: m.flag, scope: m.scope, sector: m.sector, message: m.message,
      }));
      expect(stored).toEqual(expected);
      expect(stored.find((m) => m.flag === 'BLACK AND WHITE')?.driverId).toBe(driverIdOf.get('max_verstappen'));
      // The VSC period, as the live pit model will read it.
      expect(stored.filter((m) => m.category === 'SafetyCar').map((m) => [m.at, m.message])).toEqual([
        ['2023-06-04T13:50:03.000Z', 'VIRTUAL SAFETY CAR DEPLOYED'],
        ['2023-06-04T13:52:41.000Z', 'VIRTUAL SAFETY CAR ENDING'],
      ]);

      serve();
      const again = await ingestOpenF1(deps, { sessionKeys: [RACE_SESSION] });
      expect(again.tables.race_control).toEqual({ read: n, inserted: 0, updated: 0, unchanged: n, quarantined: 0 });
      expect(await repo.reference.raceControl(raceId)).toEqual(expected);
    });

    it('quarantines a row that fails its schema, with the reason, and stores the rest', async () => {
      const n = raceControl9102.length;
      // One row OpenF1 itself would not send (no date), one the loader refuses (sector 0: sectors start at 1).
      const { date: _date, ...undated } = raceControl9102[1]!;
      const bad = raceControl9102.map((m, i) => (i === 1 ? undated : i === 2 ? { ...m, sector: 0 } : m));
      serve(bad);
      const run = await ingestOpenF1(deps, { sessionKeys: [RACE_SESSION] });
      expect(run.status).toBe('succeeded');
      expect(run.tables.race_control).toEqual({ read: n, inserted: n - 2, updated: 0, unchanged: 0, quarantined: 2 });
      const q = await repo.ingestionRuns.quarantined(run.runId);
      expect(q.map((r) => [r.tableName, r.reason]).sort(([, a], [, b]) => (String(a) < String(b) ? -1 : 1))).toEqual([
        ['race_control', expect.stringMatching(/^openf1 race_control session 9102: 1\.date: /)],
        ['race_control', expect.stringMatching(/^sector: /)],
      ]);
      const stored = await repo.reference.raceControl(raceId);
      expect(stored).toHaveLength(n - 2);
      expect(stored.map((m) => m.message)).not.toContain('DRS ENABLED');
      expect(stored.map((m) => m.message)).not.toContain('YELLOW IN TRACK SECTOR 8');
    });

    it('keeps a message about a car no entrant had with no driver, and says so in a warning of the run', async () => {
      const stranger = { ...raceControl9102[8]!, driver_number: 99, message: 'CAR 99 TIME 1:18.400 DELETED - TRACK LIMITS AT TURN 10 LAP 61 14:24:20' };
      serve([...raceControl9102, stranger]);
      const run = await ingestOpenF1(deps, { sessionKeys: [RACE_SESSION] });
      expect(run.tables.race_control).toMatchObject({ read: raceControl9102.length + 1, inserted: raceControl9102.length + 1, quarantined: 0 });
      const kept = (await repo.reference.raceControl(raceId)).find((m) => m.message === stranger.message);
      expect(kept).toMatchObject({ driverId: null, lap: 61, scope: 'Driver', at: '2023-06-04T14:24:30.000Z' });
      expect(await repo.ingestionRuns.notes(run.runId)).toEqual([
        expect.objectContaining({ kind: 'warning', tableName: 'race_control', reason: 'openf1 race control: no car #99 among the entrants of 2023 R7; kept with no driver' }),
      ]);
    });

    it('a race control fetch that fails is a warning of the run, not a failed run', async () => {
      for (const endpoint of ['laps', 'stints', 'pit']) server.inject(`/v1/${endpoint}?session_key=${RACE_SESSION}`, [noResults]);
      server.inject('/v1/weather?meeting_key=1211', [noResults]);
      server.inject(`/v1/race_control?session_key=${RACE_SESSION}`, [{ status: 400, body: JSON.stringify({ detail: 'bad request' }) }]);
      const run = await ingestOpenF1(deps, { sessionKeys: [RACE_SESSION] });
      expect(run.status).toBe('succeeded');
      expect(run.tables.race_control).toBeUndefined();
      expect(await repo.ingestionRuns.notes(run.runId)).toEqual([
        expect.objectContaining({ kind: 'warning', tableName: 'race_control', reason: expect.stringContaining('openf1 race control of session 9102 (2023 R7) not fetched') }),
      ]);
      expect(await repo.reference.raceControl(raceId)).toEqual([]);
    });
  });
}
