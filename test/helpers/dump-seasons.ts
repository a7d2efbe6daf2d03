import path from 'node:path';
import { openDumpSource } from '../../shared/ingest/dump/dump-source.js';
import { readDump } from '../../shared/ingest/dump/read-dump.js';
import { loadRecords } from '../../shared/ingest/load.js';
import type { RecordBatch } from '../../shared/ingest/records.js';
import type { Repository } from '../../shared/repository/index.js';
import { dataDir } from './settings.js';

let cached: Promise<RecordBatch> | undefined;

/** The real Ergast dump (F1_DATA_DIR/ergast), read once per test file. */
function dump(): Promise<RecordBatch> {
  cached ??= openDumpSource(path.join(dataDir, 'ergast')).then(readDump).then((r) => r.batch);
  return cached;
}

const perRace = ['results', 'qualifying', 'driverStandings', 'constructorStandings', 'sprintResults', 'constructorResults', 'pitStops'] as const;

/**
 * Loads the reference tables and the given seasons of the real dump through the real
 * loader. `withResults: false` leaves the race results out (they arrive by sync).
 */
export async function loadSeasons(repo: Repository, seasons: number[], opts: { withResults?: boolean } = {}): Promise<void> {
  const full = await dump();
  const keep = (r: { season: number }) => seasons.includes(r.season);
  const batch: RecordBatch = {
    seasons: full.seasons?.filter((s) => seasons.includes(s.year)),
    circuits: full.circuits,
    drivers: full.drivers,
    constructors: full.constructors,
    statuses: full.statuses,
    races: full.races?.filter(keep),
  };
  for (const table of perRace) {
    if (table === 'results' && opts.withResults === false) continue;
    (batch as Record<string, unknown>)[table] = (full[table] as { season: number }[] | undefined)?.filter(keep);
  }
  const run = await repo.ingestionRuns.start('dump', { test: true, seasons });
  await loadRecords(repo, batch, { run, source: 'dump' });
  await repo.ingestionRuns.finish(run.id, { counts: {} });
}

/** The dump's result records of one race, as an upstream results API would deliver them. */
export async function dumpResults(season: number, round: number): Promise<RecordBatch> {
  const full = await dump();
  return { results: full.results?.filter((r) => r.season === season && r.round === round) };
}
