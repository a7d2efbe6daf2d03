import fs from 'node:fs/promises';
import { z } from 'zod';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import type { Repository } from '../repository/index.js';
import type { IngestionSource } from '../repository/ingestion-runs-store.js';
import { openDumpSource, type DumpSourceDeps } from './dump/dump-source.js';
import { readDump } from './dump/read-dump.js';
import { listLapFiles, readLapFiles } from './laps/read-laps.js';
import { LoadFailedError, loadRecords } from './load.js';
import type { LoadOptions, LoadSummary, RecordBatch } from './records.js';

/**
 * Ingestion of files (an Ergast dump and/or lap exports), one ingestion run per source:
 * read → loadRecords → record the run with its counts. Shared by `pitwall ingest` and
 * the ingest function; the API sources (Jolpica, OpenF1) use `runIngestion` the same way.
 */

export const ingestRequest = z
  .object({
    /** Folder, .zip or gs:// URI of an Ergast dump. */
    dump: z.string().min(1).optional(),
    /** A lap file or a folder of them. */
    laps: z.string().min(1).optional(),
    /** An OpenF1 sessions.json to map stint session keys onto races (optional). */
    openf1Sessions: z.string().min(1).optional(),
    /** Strictly one race per transaction (default: whole races grouped up to 20,000 rows). */
    racesPerTransaction: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((r) => r.dump || r.laps, { message: 'give at least one of dump, laps' });
export type IngestRequest = z.infer<typeof ingestRequest>;

export interface IngestDeps extends DumpSourceDeps {
  repo: Repository;
  logger: Logger;
  progress?: (task: string, total: number) => Progress;
  /** Milliseconds per table written, accumulated across runs (benchmarks). */
  timings?: LoadOptions['timings'];
}

export interface RunOutcome {
  runId: number;
  source: IngestionSource;
  status: 'succeeded' | 'failed';
  tables: LoadSummary;
  error?: string;
}

export interface IngestOutcome {
  runs: RunOutcome[];
}

/** Starts a run, reads and loads a batch, and finishes the run (failed with the error if anything throws). */
export async function runIngestion(
  deps: IngestDeps,
  source: IngestionSource,
  parameters: Record<string, unknown>,
  read: () => Promise<RecordBatch>,
  options: { racesPerTransaction?: number } = {},
): Promise<RunOutcome> {
  const { repo, logger } = deps;
  const run = await repo.ingestionRuns.start(source, parameters);
  const log = logger.child({ runId: run.id, source });
  let tables: LoadSummary = {};
  try {
    const batch = await read();
    const races = new Set([...(batch.results ?? []), ...(batch.laps ?? []), ...(batch.pitStops ?? [])].map((r) => `${r.season}/${r.round}`));
    const bar = deps.progress?.(`ingest ${source}`, races.size);
    try {
      tables = await loadRecords(repo, batch, {
        run,
        source,
        logger: log,
        ...(deps.timings ? { timings: deps.timings } : {}),
        ...(options.racesPerTransaction ? { racesPerTransaction: options.racesPerTransaction } : {}),
        onRacesCommitted: (done) => bar?.tick(done.length, `${done.at(-1)?.season} R${done.at(-1)?.round}`),
      });
    } finally {
      bar?.stop();
    }
    await repo.ingestionRuns.finish(run.id, { counts: tables });
    log.info('ingestion run succeeded', { tables });
    return { runId: run.id, source, status: 'succeeded', tables };
  } catch (err) {
    if (err instanceof LoadFailedError) tables = err.summary;
    const message = err instanceof Error ? err.message : String(err);
    await repo.ingestionRuns.finish(run.id, { counts: tables, error: message });
    log.error('ingestion run failed', { err });
    throw err;
  }
}

export async function ingestFiles(deps: IngestDeps, request: IngestRequest): Promise<IngestOutcome> {
  const runs: RunOutcome[] = [];
  const perTx = request.racesPerTransaction ? { racesPerTransaction: request.racesPerTransaction } : {};
  if (request.dump) {
    const location = request.dump;
    runs.push(
      await runIngestion(deps, 'dump', { dump: location }, async () => {
        const { batch, rows, format } = await readDump(await openDumpSource(location, deps));
        deps.logger.info('dump read', { dump: location, format, rows });
        return batch;
      }, perTx),
    );
  }
  if (request.laps) {
    const location = request.laps;
    runs.push(
      await runIngestion(deps, 'laps', { laps: location, ...(request.openf1Sessions ? { openf1Sessions: request.openf1Sessions } : {}) }, async () => {
        const files = await listLapFiles(location);
        const openf1Sessions = request.openf1Sessions ? JSON.parse(await fs.readFile(request.openf1Sessions, 'utf8')) : undefined;
        const { batch, files: read } = await readLapFiles(files, {
          races: (await deps.repo.races.list()).map((r) => ({ season: r.season, round: r.round, name: r.name, date: r.sessions.race.date })),
          entrants: await deps.repo.reference.raceEntrants(),
          ...(openf1Sessions ? { openf1Sessions } : {}),
        });
        deps.logger.info('lap files read', { files: read });
        return batch;
      }, perTx),
    );
  }
  return { runs };
}
