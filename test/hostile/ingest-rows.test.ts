import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { ingestFiles } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { writeSlicedDump } from '../ingest/helpers.js';

/**
 * One bad value is one quarantined row: an integer beyond the column's range and a NUL
 * byte in a text field used to fail the INSERT and with it every per-race row of the dump.
 */

const data = requireData();

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`per-row quarantine of values the database cannot store (${backend.name})`, () => {
    let db: Database;
    let dir: string;
    let results: string[];
    beforeAll(async () => {
      db = await backend.open();
      dir = await writeSlicedDump([2024], 'csv');
      const file = path.join(dir, 'results.csv');
      results = (await fs.readFile(file, 'utf8')).split('\n');
      const lines = [...results];
      // Line 1: grid (6th column) far beyond integer; line 2: a NUL inside the quoted time.
      lines[1] = lines[1]!.replace(/^((?:[^,]*,){5})[^,]*/, '$199999999999');
      lines[2] = lines[2]!.replace(/,"(\+[^"]*)",/, ',"$1\u0000",');
      expect(lines[2]).toContain('\u0000');
      await fs.writeFile(file, lines.join('\n'));
      // A NUL in a pit stop's duration, and an out-of-range stop milliseconds.
      const stops = path.join(dir, 'pit_stops.csv');
      const s = (await fs.readFile(stops, 'utf8')).split('\n');
      s[1] = s[1]!.replace(/^((?:[^,]*,){5})("?)([^,"]*)/, '$1$2$3\u0000');
      s[2] = s[2]!.replace(/,[^,]*$/, ',99999999999');
      await fs.writeFile(stops, s.join('\n'));
    });
    afterAll(async () => {
      await db?.close();
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    });

    it('quarantines each such row with the reason and loads every other row', async () => {
      const repo = createRepository(db.knex);
      const { runs } = await ingestFiles({ repo, logger: silentLogger }, { dump: dir });
      const run = runs[0]!;
      expect(run.status).toBe('succeeded');
      const sourceRows = results.filter((l) => l !== '').length - 1;
      expect(run.tables.results).toMatchObject({ read: sourceRows, inserted: sourceRows - 2, quarantined: 2 });
      expect(run.tables.pit_stops!.quarantined).toBe(2);
      const counts = await repo.reference.rowCounts();
      expect(counts.results).toBe(sourceRows - 2);
      expect(counts.pit_stops).toBe(run.tables.pit_stops!.read - 2);

      const q = await repo.ingestionRuns.quarantined(run.runId);
      const reasons = q.map((r) => `${r.tableName}: ${r.reason}`).sort();
      expect(reasons).toEqual([
        'pit_stops: duration: contains a NUL byte, which PostgreSQL text cannot store',
        'pit_stops: milliseconds: out of range for an integer column',
        'results: grid: out of range for an integer column',
        'results: timeText: contains a NUL byte, which PostgreSQL text cannot store',
      ]);
      // The raw row is kept, with the NUL spelled out (jsonb cannot hold U+0000).
      const nul = q.find((r) => r.tableName === 'results' && /NUL/.test(r.reason))!;
      expect((nul.raw as { timeText: string }).timeText).toMatch(/\\u0000$/);
    });
  });
}
