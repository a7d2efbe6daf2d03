import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../shared/clients/http-client.js';
import { createOpenF1Client } from '../../../shared/clients/openf1.js';
import { openf1Limits } from '../../../shared/clients/pacer.js';
import type { Database } from '../../../shared/db/connect.js';
import { ingestOpenF1, type ApiIngestDeps } from '../../../shared/ingest/api/api-ingest.js';
import { openDumpSource } from '../../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../../shared/ingest/dump/read-dump.js';
import { loadRecords } from '../../../shared/ingest/load.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { createRepository, type Repository } from '../../../shared/repository/index.js';
import { virtualClock } from '../../clients/virtual-clock.js';
import { backends } from '../../helpers/databases.js';
import { startReplayServer, type ReplayServer } from '../../helpers/replay-server.js';
import { dataDir, requireData } from '../../helpers/settings.js';
import { ergastDir, readErgastCsv, sliceBatch } from '../helpers.js';

const data = requireData();
const SESSION = 9488; // 2024 Australian GP, race (SOURCES.md)
const recorded = <T>(file: string) => JSON.parse(fs.readFileSync(path.join(dataDir, 'api-replay', 'openf1', 'heibylau-F1-pit-strategy-search', file), 'utf8')) as T[];

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`OpenF1 ingestion from replayed responses on ${backend.name}`, () => {
    let server: ReplayServer;
    let db: Database;
    let repo: Repository;
    let deps: ApiIngestDeps;
    let raceId: number;

    beforeAll(async () => {
      server = await startReplayServer(path.join(dataDir, 'api-replay'));
      db = await backend.open();
      repo = createRepository(db.knex);
      // The race and its entrants come from the Ergast dump (2024 R3 only, to stay fast).
      const { batch } = await readDump(await openDumpSource(ergastDir));
      const run = await repo.ingestionRuns.start('dump', {});
      await loadRecords(repo, sliceBatch(batch, (s, r) => s === 2024 && r === 3), { run, source: 'dump' });
      raceId = (await repo.races.list({ fromSeason: 2024, toSeason: 2024 })).find((r) => r.round === 3)!.id;
      const http = createHttpClient({ limits: openf1Limits, clock: virtualClock() });
      deps = { repo, logger: silentLogger, openf1: createOpenF1Client({ http, baseUrl: server.openf1BaseUrl }), now: () => new Date('2026-11-22T00:00:00Z') };
    });
    afterAll(async () => {
      await server?.close();
      await db?.close();
    });
    // The dump slice loaded once above is only read; the laps table is what the tests write, so
    // each starts without laps.
    beforeEach(async () => {
      await db.knex('laps').del();
    });

    it('maps the race session onto 2024 R3 and loads one lap row per car and lap', async () => {
      const laps = recorded<{ driver_number: number; lap_number: number; lap_duration: number | null }>('laps.json');
      const stints = recorded<{ driver_number: number; lap_start: number; lap_end: number }>('stints.json');
      const pits = recorded<{ driver_number: number; lap_number: number }>('pit-stops.json');
      const keys = new Set([
        ...laps.map((l) => `${l.driver_number}/${l.lap_number}`),
        ...stints.flatMap((s) => Array.from({ length: s.lap_end - s.lap_start + 1 }, (_, i) => `${s.driver_number}/${s.lap_start + i}`)),
        ...pits.map((p) => `${p.driver_number}/${p.lap_number}`),
      ]);

      const run = await ingestOpenF1(deps, { sessionKeys: [SESSION] });
      expect(run.status).toBe('succeeded');
      expect(run.tables.laps).toMatchObject({ read: keys.size, inserted: keys.size, quarantined: 0 });

      const rows = await repo.reference.laps(raceId);
      expect(rows).toHaveLength(keys.size);
      expect(rows.every((r) => r.sources.includes('openf1'))).toBe(true);
      expect(rows.filter((r) => r.timeMs !== null)).toHaveLength(laps.filter((l) => l.lap_duration !== null).length);
      // Every lap inside a stint has its tyre; tyre life grows by one per lap within a stint.
      expect(rows.filter((r) => r.compound !== null).length).toBeGreaterThan(rows.length * 0.95);
      const byDriver = new Map<number, typeof rows>();
      for (const r of rows) byDriver.set(r.driverId, [...(byDriver.get(r.driverId) ?? []), r]);
      for (const laps of byDriver.values()) {
        const sorted = [...laps].sort((a, b) => a.lap - b.lap);
        for (let i = 1; i < sorted.length; i++) {
          const [a, b] = [sorted[i - 1]!, sorted[i]!];
          if (a.stint === b.stint && a.tyreLife !== null && b.tyreLife !== null) expect(b.tyreLife - a.tyreLife).toBe(b.lap - a.lap);
        }
      }
      // Pit-in laps are OpenF1's pit laps; they should agree with the Ergast pit stops of the same race
      // (compared by driverRef: database ids and Ergast ids differ).
      const refById = new Map((await repo.reference.drivers()).map((d) => [d.id, d.driverRef]));
      const pitIn = new Set(rows.filter((r) => r.pitIn).map((r) => `${refById.get(r.driverId)}/${r.lap}`));
      expect(pitIn.size).toBe(new Set(pits.map((p) => `${p.driver_number}/${p.lap_number}`)).size);
      const ergastRef = new Map((await readErgastCsv('drivers')).map((d) => [d.driverId, d.driverRef]));
      const ergast = (await readErgastCsv('pit_stops')).filter((p) => p.raceId === '1123').map((p) => `${ergastRef.get(p.driverId!)}/${p.lap}`);
      // For this race the two sources agree stop for stop.
      expect(ergast.filter((k) => pitIn.has(k))).toHaveLength(ergast.length);
      expect(pitIn.size).toBe(ergast.length);
    });

    it('is idempotent and quarantines what it cannot place, with reasons', async () => {
      expect((await ingestOpenF1(deps, { sessionKeys: [SESSION] })).status).toBe('succeeded');
      const again = await ingestOpenF1(deps, { sessionKeys: [SESSION] });
      expect(again.tables.laps).toMatchObject({ inserted: 0, updated: 0, quarantined: 0 });
      // 9161 is a qualifying session, 1 does not exist: both are rejected with their reason.
      const bad = await ingestOpenF1(deps, { sessionKeys: [9161, 1] });
      const q = await repo.ingestionRuns.quarantined(bad.runId);
      expect(q.map((r) => r.reason)).toEqual([
        'openf1: session 9161 is not a Race session in /sessions',
        'openf1: session 1 is not a Race session in /sessions',
      ]);
    });

    it('quarantines an OpenF1 row missing a field and loads the rest of the session', async () => {
      const stints = recorded<Record<string, unknown>>('stints.json');
      delete stints[0]!.compound;
      server.inject('/v1/stints?session_key=9488', [{ status: 200, body: JSON.stringify(stints) }]);
      const run = await ingestOpenF1(deps, { sessionKeys: [SESSION] });
      expect(run.status).toBe('succeeded');
      const q = await repo.ingestionRuns.quarantined(run.runId);
      expect(q).toHaveLength(1);
      expect(q[0]!.reason).toMatch(/^openf1 stints session 9488: 0\.compound/);
      expect((await repo.reference.laps(raceId)).length).toBeGreaterThan(0);
    });
  });
}
