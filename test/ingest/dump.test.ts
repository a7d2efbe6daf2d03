import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { ingestFiles } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { readErgastCsv, writeSlicedDump, zipFolder } from './helpers.js';

const data = requireData();
const SEASONS = [2024];

/** Source rows of the sliced seasons, per table, straight from the real CSVs. */
async function expectedRows(): Promise<Record<string, number>> {
  const races = await readErgastCsv('races');
  const ids = new Set(races.filter((r) => SEASONS.includes(Number(r.year))).map((r) => r.raceId));
  const out: Record<string, number> = { races: ids.size };
  for (const t of ['results', 'sprint_results', 'qualifying', 'driver_standings', 'constructor_standings', 'constructor_results', 'pit_stops']) {
    out[t] = (await readErgastCsv(t)).filter((r) => ids.has(r.raceId!)).length;
  }
  for (const t of ['drivers', 'constructors', 'circuits', 'status']) out[t] = (await readErgastCsv(t)).length;
  return out;
}

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`Ergast dump ingestion on ${backend.name}`, () => {
    let db: Database;
    let csvDir: string;
    let expected: Record<string, number>;
    beforeAll(async () => {
      db = await backend.open();
      csvDir = await writeSlicedDump(SEASONS, 'csv');
      expected = await expectedRows();
    });
    afterAll(async () => {
      await db?.close();
      if (csvDir) await fs.rm(csvDir, { recursive: true, force: true });
    });

    it('loads every source row (count = source rows − quarantined) and records the run', async () => {
      const repo = createRepository(db.knex);
      const { runs } = await ingestFiles({ repo, logger: silentLogger }, { dump: csvDir });
      const [run] = runs;
      expect(run!.status).toBe('succeeded');
      const counts = await repo.reference.rowCounts();
      for (const [table, rows] of Object.entries(expected)) {
        const c = run!.tables[table as keyof NonNullable<typeof run>['tables']]!;
        expect(c.read, table).toBe(rows);
        expect(c.inserted + c.quarantined, table).toBe(rows);
        expect(counts[table as keyof typeof counts], table).toBe(rows - c.quarantined);
      }
      const stored = await repo.ingestionRuns.byId(run!.runId);
      expect(stored!.status).toBe('succeeded');
      expect(stored!.counts).toEqual(run!.tables);
      // Domain reads: a 2024 race's results come back typed, ordered, with status text.
      const race = await repo.races.bySeasonRound(2024, 1);
      const results = await repo.reference.results(race!.id);
      expect(results.length).toBeGreaterThan(0);
      expect(results[0]!.positionOrder).toBe(1);
      expect(typeof results[0]!.status).toBe('string');
    });

    it('is idempotent: a re-run finds every row unchanged and adds nothing', async () => {
      const repo = createRepository(db.knex);
      const before = await repo.reference.rowCounts();
      const { runs } = await ingestFiles({ repo, logger: silentLogger }, { dump: csvDir });
      for (const [table, c] of Object.entries(runs[0]!.tables)) {
        expect({ table, inserted: c.inserted, updated: c.updated }).toEqual({ table, inserted: 0, updated: 0 });
        expect(c.unchanged + c.quarantined, table).toBe(c.read);
      }
      expect(await repo.reference.rowCounts()).toEqual(before);
    });

    it('reads the TSV variant, zipped, as the same rows (all unchanged)', async () => {
      const tsvDir = await writeSlicedDump(SEASONS, 'tsv');
      const zip = await zipFolder(tsvDir, 'f1db_tsv');
      try {
        const repo = createRepository(db.knex);
        const { runs } = await ingestFiles({ repo, logger: silentLogger }, { dump: zip });
        const results = runs[0]!.tables.results!;
        expect(results.read).toBe(expected.results);
        expect(results.unchanged).toBe(expected.results);
        expect(results.inserted + results.updated).toBe(0);
      } finally {
        await fs.rm(tsvDir, { recursive: true, force: true });
        await fs.rm(zip, { force: true });
      }
    });

    it('quarantines bad rows with their reason and still loads the good ones', async () => {
      const dir = await writeSlicedDump(SEASONS, 'csv');
      try {
        const file = path.join(dir, 'results.csv');
        const lines = (await fs.readFile(file, 'utf8')).trimEnd().split('\n');
        const cols = lines[1]!.split(',');
        const badGrid = [...cols];
        badGrid[0] = '999001';
        badGrid[5] = '-3'; // grid
        const unknownDriver = [...cols];
        unknownDriver[0] = '999002';
        unknownDriver[2] = '999999'; // driverId
        // Drop one real row so the bad-grid row is the only one for its key.
        await fs.writeFile(file, [...lines.slice(0, 1), ...lines.slice(2), badGrid.join(','), unknownDriver.join(',')].join('\n') + '\n');
        const fresh = await backend.open();
        try {
          const repo = createRepository(fresh.knex);
          const { runs } = await ingestFiles({ repo, logger: silentLogger }, { dump: dir });
          const results = runs[0]!.tables.results!;
          expect(results.read).toBe(expected.results! + 1);
          expect(results.quarantined).toBe(2);
          expect(results.inserted).toBe(expected.results! - 1);
          const q = await repo.ingestionRuns.quarantined(runs[0]!.runId);
          expect(q.map((r) => r.reason).sort()).toEqual([expect.stringMatching(/^grid: /), 'unknown driverId 999999']);
          expect(q.every((r) => r.tableName === 'results' && r.source === 'dump')).toBe(true);
          expect((await repo.reference.rowCounts()).results).toBe(expected.results! - 1);
        } finally {
          await fresh.close();
        }
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });

    it('refuses something that is not a dump with a validation error', async () => {
      const repo = createRepository(db.knex);
      await expect(ingestFiles({ repo, logger: silentLogger }, { dump: path.join(csvDir, 'races.csv') })).rejects.toThrow(/folder, a \.zip/);
      const [latest] = await repo.ingestionRuns.latest(1);
      expect(latest!.status).toBe('failed');
    });
  });
}
