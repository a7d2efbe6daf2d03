import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../shared/clock.js';
import { createApiClients } from '../../shared/clients/api-clients.js';
import type { Database } from '../../shared/db/connect.js';
import { startUpstreamEmulator, type UpstreamEmulator } from '../../shared/emulator/upstream-emulator.js';
import { ingestJolpica } from '../../shared/ingest/api/api-ingest.js';
import { ingestFiles, ingestRequest } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { emptier } from '../helpers/emptier.js';
import { dataDir, requireData } from '../helpers/settings.js';
import { ergastDir, readErgastCsv } from './helpers.js';

const data = requireData();
const TO_SEASON = 2023;

/** What a dump trimmed to TO_SEASON must hold, per table, counted from the CSVs themselves. */
async function expectedRows(): Promise<Record<string, number>> {
  const races = (await readErgastCsv('races')).filter((r) => Number(r.year) <= TO_SEASON);
  const ids = new Set(races.map((r) => r.raceId));
  const out: Record<string, number> = { races: races.length, circuits: new Set(races.map((r) => r.circuitId)).size };
  const drivers = new Set<string>();
  const teams = new Set<string>();
  for (const t of ['results', 'sprint_results', 'qualifying', 'driver_standings', 'constructor_standings', 'constructor_results', 'pit_stops']) {
    const rows = (await readErgastCsv(t)).filter((r) => ids.has(r.raceId!));
    out[t] = rows.length;
    for (const r of rows) {
      if (r.driverId) drivers.add(r.driverId);
      if (r.constructorId) teams.add(r.constructorId);
    }
  }
  out.drivers = drivers.size;
  out.constructors = teams.size;
  out.seasons = (await readErgastCsv('seasons')).filter((s) => Number(s.year) <= TO_SEASON).length;
  out.status = (await readErgastCsv('status')).length;
  return out;
}

describe('toSeason in the ingest request', () => {
  it('is a season number and needs a dump', () => {
    expect(ingestRequest.safeParse({ dump: ergastDir, toSeason: 2023 }).success).toBe(true);
    expect(ingestRequest.safeParse({ laps: ergastDir, toSeason: 2023 }).success).toBe(false);
    expect(ingestRequest.safeParse({ dump: ergastDir, toSeason: 'last' }).success).toBe(false);
  });
});

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`a dump trimmed to ${TO_SEASON} on ${backend.name}`, () => {
    let db: Database;
    let expected: Record<string, number>;
    let emulator: UpstreamEmulator | undefined;
    let cacheDir: string | undefined;
    beforeAll(async () => {
      db = await backend.open();
      await (await emptier(db.knex))();
      expected = await expectedRows();
    });
    afterAll(async () => {
      await emulator?.close();
      if (cacheDir) await fs.rm(cacheDir, { recursive: true, force: true });
      await db?.close();
    });

    it('holds the seasons up to it and only the drivers, teams and circuits that raced in them; 2024’s newcomers arrive by the API', async () => {
      const repo = createRepository(db.knex);
      const { runs } = await ingestFiles({ repo, logger: silentLogger }, { dump: ergastDir, toSeason: TO_SEASON });
      expect(runs[0]!.status).toBe('succeeded');
      const counts = await repo.reference.rowCounts();
      for (const [table, rows] of Object.entries(expected)) {
        expect(counts[table as keyof typeof counts], table).toBe(rows - (runs[0]!.tables[table as keyof (typeof runs)[0]['tables']]?.quarantined ?? 0));
      }
      expect(await repo.races.bySeasonRound(2024, 1)).toBeUndefined();
      const refs = new Set((await repo.reference.drivers()).map((d) => d.driverRef));
      expect(refs.has('hamilton')).toBe(true);
      // First raced in 2024: not in a database that stands before it.
      expect(['bearman', 'colapinto'].filter((d) => refs.has(d))).toEqual([]);
      expect((await repo.ingestionRuns.byId(runs[0]!.runId))?.parameters).toMatchObject({ toSeason: TO_SEASON });

      // 2024 R2 (Saudi Arabia, Bearman's first race) through the production ingest, from the emulator.
      if (backend.name !== 'postgres') return;
      const clock = new SimulatedClock(new Date('2024-03-10T00:00:00Z'));
      emulator = await startUpstreamEmulator({ dataDir, clock, seasons: [2024], faults: { seed: 2, throttleRate: 0.02, errorRate: 0.01 } });
      cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-to-season-'));
      const config = { jolpicaBaseUrl: emulator.jolpicaBaseUrl, openf1BaseUrl: emulator.openf1BaseUrl, openMeteoBaseUrl: `${emulator.openf1BaseUrl}/open-meteo`, httpCacheDir: cacheDir };
      const { jolpica } = createApiClients(config, silentLogger, clock);
      const run = await ingestJolpica({ repo, logger: silentLogger, jolpica, now: () => clock.now() }, { season: 2024, round: 2 });
      expect(run.status).toBe('succeeded');
      const raceId = (await readErgastCsv('races')).find((r) => r.year === '2024' && r.round === '2')!.raceId;
      for (const [table, csv] of [['results', 'results'], ['qualifying', 'qualifying'], ['pit_stops', 'pit_stops'], ['driver_standings', 'driver_standings'], ['constructor_standings', 'constructor_standings']] as const) {
        const rows = (await readErgastCsv(csv)).filter((r) => r.raceId === raceId).length;
        expect(run.tables[table], table).toMatchObject({ read: rows, quarantined: 0 });
      }
      expect((await repo.reference.drivers()).some((d) => d.driverRef === 'bearman')).toBe(true);
    });
  });
}
