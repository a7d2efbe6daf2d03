import fs from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { openDumpSource } from '../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../shared/ingest/dump/read-dump.js';
import { detectLapFile, readLapFiles, type LapContext } from '../../shared/ingest/laps/read-laps.js';
import { loadRecords } from '../../shared/ingest/load.js';
import type { LapRecord, RecordBatch } from '../../shared/ingest/records.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { ergastDir, f1PaceFile, fastf1File, openf1SessionsFile, openf1StintsFile, sliceBatch } from './helpers.js';

const data = requireData();
/** Bahrain (all three sources) and United States (Ergast laps + OpenF1 stints only). */
const ROUNDS = [1, 19];

async function context(repo: Repository, withSessions: boolean): Promise<LapContext> {
  return {
    races: (await repo.races.list()).map((r) => ({ season: r.season, round: r.round, name: r.name, date: r.sessions.race.date })),
    entrants: await repo.reference.raceEntrants(),
    ...(withSessions ? { openf1Sessions: JSON.parse(await fs.readFile(openf1SessionsFile, 'utf8')) } : {}),
  };
}

describe.skipIf(data.skip)('lap file recognition', () => {
  it('recognises each export by its header columns', async () => {
    const header = async (file: string) => (await fs.readFile(file, 'utf8')).slice(0, 2000).split('\n')[0]!.split(',').map((c) => c.replace(/"/g, ''));
    expect(detectLapFile(await header(fastf1File(2019)))).toBe('fastf1');
    expect(detectLapFile(await header(f1PaceFile))).toBe('f1pace');
    expect(detectLapFile(await header(openf1StintsFile))).toBe('openf1-stints');
    expect(detectLapFile(['raceId', 'driverId', 'stop'])).toBeUndefined();
  });
});

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`lap files merged into laps on ${backend.name}`, () => {
    let db: Database;
    let repo: Repository;
    let batch: RecordBatch & { laps: LapRecord[] };
    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      const dump = await readDump(await openDumpSource(ergastDir));
      const run = await repo.ingestionRuns.start('dump', {});
      await loadRecords(repo, sliceBatch(dump.batch, (s) => s === 2024), { run, source: 'dump' });
      const read = await readLapFiles([fastf1File(2024), f1PaceFile, openf1StintsFile], await context(repo, true));
      batch = { ...read.batch, laps: read.batch.laps!.filter((l) => ROUNDS.includes(l.round)), rejected: [] };
    });
    afterAll(async () => db?.close());
    // The 2024 dump slice loaded once above is only read; the laps table is what the tests write,
    // so each starts without laps and loads the lap files itself where it needs them.
    beforeEach(async () => {
      await db.knex('laps').del();
    });
    const loadLaps = async () => loadRecords(repo, batch, { run: await repo.ingestionRuns.start('laps', {}), source: 'laps' });

    it('maps OpenF1 session keys to the same races with or without sessions.json', async () => {
      const without = await readLapFiles([openf1StintsFile], await context(repo, false));
      const withSessions = await readLapFiles([openf1StintsFile], await context(repo, true));
      const keys = (laps: LapRecord[] | undefined) => laps!.map((l) => `${l.round}/${l.driverRef}/${l.lap}`).sort();
      expect(keys(without.batch.laps)).toEqual(keys(withSessions.batch.laps));
      expect(new Set(withSessions.batch.laps!.map((l) => l.round)).size).toBe(24);
      // Non-race sessions (practice, qualifying, sprint) are skipped, not loaded.
      expect(withSessions.files[0]!.skipped).toBeGreaterThan(0);
    });

    it('writes one row per race, driver and lap with each column from a source that has it', async () => {
      const summary = await loadLaps();
      const distinct = new Set(batch.laps.map((l) => `${l.round}/${l.driverRef}/${l.lap}`));
      expect(summary.laps!.inserted).toBe(distinct.size);
      expect(summary.laps!.read).toBe(batch.laps.length);
      const bahrain = (await repo.races.bySeasonRound(2024, 1))!;
      const stored = await repo.reference.laps(bahrain.id);
      const drivers = new Map((await repo.reference.drivers()).map((d) => [d.driverRef, d.id]));
      const ver = stored.filter((l) => l.driverId === drivers.get('max_verstappen'));
      const lap10 = ver.find((l) => l.lap === 10)!;
      expect(lap10.sources).toEqual(['ergast', 'fastf1', 'openf1']);
      const ff1 = batch.laps.find((l) => l.source === 'fastf1' && l.round === 1 && l.driverRef === 'max_verstappen' && l.lap === 10)!;
      expect(lap10).toMatchObject({ timeMs: ff1.timeMs, compound: ff1.compound, tyreLife: ff1.tyreLife, position: ff1.position });
      // SOURCES.md spot check: VER pitted on laps 17 and 37 in Bahrain 2024.
      expect(ver.filter((l) => l.pitStop).map((l) => l.lap)).toEqual([17, 37]);
    });

    it('derives pit stops from OpenF1 stints where no source has pit flags (2024 United States)', async () => {
      await loadLaps();
      const austin = (await repo.races.bySeasonRound(2024, 19))!;
      const stored = await repo.reference.laps(austin.id);
      expect(stored.some((l) => l.sources.includes('fastf1'))).toBe(false);
      expect(stored.filter((l) => l.sources.includes('ergast')).length / stored.length).toBeGreaterThan(0.95);
      expect(stored.filter((l) => l.compound !== null).length / stored.length).toBeGreaterThan(0.95);
      const derived = new Set(stored.filter((l) => l.pitStop).map((l) => `${l.driverId}/${l.lap}`));
      const ergast = (await repo.reference.pitStops(austin.id)).map((p) => `${p.driverId}/${p.lap}`);
      const agree = ergast.filter((k) => derived.has(k)).length;
      expect(agree / ergast.length).toBeGreaterThan(0.85);
    });

    it('a re-run of the same lap files changes nothing', async () => {
      await loadLaps();
      const summary = await loadLaps();
      expect(summary.laps).toMatchObject({ inserted: 0, updated: 0 });
      expect(summary.laps!.unchanged).toBe(new Set(batch.laps.map((l) => `${l.round}/${l.driverRef}/${l.lap}`)).size);
    });
  });
}
