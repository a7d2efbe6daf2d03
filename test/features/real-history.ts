import path from 'node:path';
import { openDumpSource } from '../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../shared/ingest/dump/read-dump.js';
import { loadRecords } from '../../shared/ingest/load.js';
import type { RecordBatch } from '../../shared/ingest/records.js';
import type { Repository } from '../../shared/repository/index.js';
import { dataDir } from '../helpers/settings.js';

let cached: Promise<RecordBatch> | undefined;

/** Loads the given seasons of the real Ergast dump (F1_DATA_DIR/ergast) through the real loader. */
export async function loadDumpSeasons(repo: Repository, seasons: number[]): Promise<void> {
  cached ??= openDumpSource(path.join(dataDir, 'ergast')).then(readDump).then((r) => r.batch);
  const full = await cached;
  const keep = (r: { season: number }) => seasons.includes(r.season);
  const batch: RecordBatch = {
    seasons: full.seasons?.filter((s) => seasons.includes(s.year)),
    circuits: full.circuits,
    drivers: full.drivers,
    constructors: full.constructors,
    statuses: full.statuses,
    races: full.races?.filter(keep),
  };
  for (const table of ['results', 'qualifying', 'driverStandings', 'constructorStandings', 'sprintResults'] as const) {
    (batch as Record<string, unknown>)[table] = (full[table] as { season: number }[] | undefined)?.filter(keep);
  }
  const run = await repo.ingestionRuns.start('dump', { test: true, seasons });
  await loadRecords(repo, batch, { run, source: 'dump' });
  await repo.ingestionRuns.finish(run.id, { counts: {} });
}
