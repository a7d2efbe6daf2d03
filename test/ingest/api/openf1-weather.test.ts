import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../shared/clients/http-client.js';
import { createOpenF1Client } from '../../../shared/clients/openf1.js';
import type { OpenF1Session, OpenF1Weather } from '../../../shared/clients/openf1-schemas.js';
import { openf1Limits } from '../../../shared/clients/pacer.js';
import type { Database } from '../../../shared/db/connect.js';
import { ingestOpenF1, type ApiIngestDeps } from '../../../shared/ingest/api/api-ingest.js';
import { openf1WeatherRecords } from '../../../shared/ingest/api/openf1-weather.js';
import { openDumpSource } from '../../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../../shared/ingest/dump/read-dump.js';
import { loadRecords } from '../../../shared/ingest/load.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { createRepository, type Repository } from '../../../shared/repository/index.js';
import { virtualClock } from '../../clients/virtual-clock.js';
import { backends } from '../../helpers/databases.js';
import { startReplayServer, type ReplayServer } from '../../helpers/replay-server.js';
import { dataDir, requireData } from '../../helpers/settings.js';
import { ergastDir, sliceBatch } from '../helpers.js';

const data = requireData();
const RACE_SESSION = 9078; // 2023 Miami GP race (meeting 1208), SOURCES.md
const openf1File = <T>(file: string) => JSON.parse(fs.readFileSync(path.join(dataDir, 'api-replay', 'openf1', file), 'utf8')) as T[];
// OpenF1's own answer for a filter with no rows: the recordings hold no laps, stints or pit of this race.
const noResults = { status: 404, body: JSON.stringify({ detail: 'No results found.' }) };

describe.skipIf(data.skip)('OpenF1 weather records', () => {
  it('files each sample under its weekend session and rejects a session pitwall has no name for', () => {
    const sessions = openf1File<OpenF1Session>('POSTED26-F1-Data/sessions.json');
    const samples = openf1File<OpenF1Weather>('alberto231090-database_f1/weather.json');
    const testing = sessions.find((s) => s.session_name === 'Day 1')!;
    // The same sample as if it had been measured on a pre-season testing day.
    const odd = { ...samples[0]!, session_key: testing.session_key };
    const { records, rejected } = openf1WeatherRecords({ season: 2023, round: 5 }, sessions, [samples[0]!, odd, { ...samples[0]!, session_key: 1 }]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ session: 'fp1', sessionKey: 9071, sampledAt: samples[0]!.date, airTemperature: samples[0]!.air_temperature });
    expect(rejected.map((r) => r.reason)).toEqual([
      `openf1 weather: session ${testing.session_key} is "Day 1", not a race-weekend session pitwall stores`,
      'openf1 weather: session 1 is not in /sessions',
    ]);
  });
});

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`OpenF1 session weather from the replayed recording on ${backend.name}`, () => {
    let server: ReplayServer;
    let db: Database;
    let repo: Repository;
    let deps: ApiIngestDeps;
    let raceId: number;
    const recorded = openf1File<OpenF1Weather>('alberto231090-database_f1/weather.json');
    const sessions = openf1File<OpenF1Session>('POSTED26-F1-Data/sessions.json');

    beforeAll(async () => {
      server = await startReplayServer(path.join(dataDir, 'api-replay'));
      db = await backend.open();
      repo = createRepository(db.knex);
      // The race and its entrants from the Ergast dump: 2023 R5, Miami.
      const { batch } = await readDump(await openDumpSource(ergastDir));
      const run = await repo.ingestionRuns.start('dump', {});
      await loadRecords(repo, sliceBatch(batch, (s, r) => s === 2023 && r === 5), { run, source: 'dump' });
      const race = (await repo.races.listSeason(2023)).find((r) => r.round === 5)!;
      expect(race.name).toBe('Miami Grand Prix');
      raceId = race.id;
      const http = createHttpClient({ limits: openf1Limits, clock: virtualClock() });
      deps = { repo, logger: silentLogger, openf1: createOpenF1Client({ http, baseUrl: server.openf1BaseUrl }), now: () => new Date('2026-11-22T00:00:00Z') };
    });
    afterAll(async () => {
      await server?.close();
      await db?.close();
    });
    beforeEach(async () => {
      await db.knex('session_weather').del();
      for (const endpoint of ['laps', 'stints', 'pit', 'race_control']) server.inject(`/v1/${endpoint}?session_key=${RACE_SESSION}`, [noResults]);
    });

    it('stores every sample of the weekend, per session, through the loader; a second run changes nothing', async () => {
      const run = await ingestOpenF1(deps, { sessionKeys: [RACE_SESSION] });
      expect(run.status).toBe('succeeded');
      expect(server.requests).toContain('/v1/weather?meeting_key=1208');
      expect(run.tables.session_weather).toEqual({ read: recorded.length, inserted: recorded.length, updated: 0, unchanged: 0, quarantined: 0 });

      const stored = await repo.reference.sessionWeather(raceId);
      expect(stored).toHaveLength(recorded.length);
      const nameOf = new Map(sessions.filter((s) => s.meeting_key === 1208).map((s) => [s.session_key, s.session_name]));
      const perSession = (rows: { session: string }[]) => Object.fromEntries([...new Set(rows.map((r) => r.session))].map((s) => [s, rows.filter((r) => r.session === s).length]));
      const expected: Record<string, string> = { 'Practice 1': 'fp1', 'Practice 2': 'fp2', 'Practice 3': 'fp3', Qualifying: 'qualifying', Race: 'race' };
      expect(perSession(stored)).toEqual(perSession(recorded.map((w) => ({ session: expected[nameOf.get(w.session_key)!]! }))));
      // Values as recorded, instants in UTC.
      const byTime = new Map(stored.map((s) => [s.sampledAt, s]));
      for (const w of recorded) {
        expect(byTime.get(new Date(w.date).toISOString())).toEqual({
          raceId, session: expected[nameOf.get(w.session_key)!], sessionKey: w.session_key, sampledAt: new Date(w.date).toISOString(),
          airTemperature: w.air_temperature, trackTemperature: w.track_temperature, humidity: w.humidity, pressure: w.pressure,
          rainfall: w.rainfall, windDirection: w.wind_direction, windSpeed: w.wind_speed,
        });
      }

      for (const endpoint of ['laps', 'stints', 'pit', 'race_control']) server.inject(`/v1/${endpoint}?session_key=${RACE_SESSION}`, [noResults]);
      const again = await ingestOpenF1(deps, { sessionKeys: [RACE_SESSION] });
      expect(again.tables.session_weather).toEqual({ read: recorded.length, inserted: 0, updated: 0, unchanged: recorded.length, quarantined: 0 });
      expect(await repo.reference.sessionWeather(raceId)).toHaveLength(recorded.length);
    });

    it('quarantines a sample that fails its schema and stores the rest', async () => {
      const bad = recorded.map((w, i) => (i === 3 ? { ...w, humidity: 140 } : w));
      server.inject('/v1/weather?meeting_key=1208', [{ status: 200, body: JSON.stringify(bad) }]);
      const run = await ingestOpenF1(deps, { sessionKeys: [RACE_SESSION] });
      expect(run.tables.session_weather).toMatchObject({ read: recorded.length, inserted: recorded.length - 1, quarantined: 1 });
      const q = await repo.ingestionRuns.quarantined(run.runId);
      expect(q.map((r) => [r.tableName, r.reason])).toEqual([['session_weather', expect.stringMatching(/^humidity: /)]]);
      expect(await repo.reference.sessionWeather(raceId)).toHaveLength(recorded.length - 1);
    });

    it('a weather fetch that fails is a warning of the run, not a failed run', async () => {
      server.inject('/v1/weather?meeting_key=1208', [{ status: 400, body: JSON.stringify({ detail: 'bad request' }) }]);
      const run = await ingestOpenF1(deps, { sessionKeys: [RACE_SESSION] });
      expect(run.status).toBe('succeeded');
      expect(run.tables.session_weather).toBeUndefined();
      const notes = await repo.ingestionRuns.notes(run.runId);
      expect(notes).toEqual([expect.objectContaining({ kind: 'warning', tableName: 'session_weather', reason: expect.stringContaining('openf1 weather of meeting 1208 (2023 R5) not fetched') })]);
      expect(await repo.reference.sessionWeather(raceId)).toEqual([]);
    });
  });
}
