import fs from 'node:fs/promises';
import { z } from 'zod';
import { PitwallError, ValidationError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import type { Repository } from '../repository/index.js';
import type { IngestionSource } from '../repository/ingestion-runs-store.js';
import { openDumpSource, type DumpSourceDeps } from './dump/dump-source.js';
import { readDump } from './dump/read-dump.js';
import { keepSeasonsUpTo } from './dump/to-season.js';
import { listLapFiles, readLapFiles } from './laps/read-laps.js';
import { LoadFailedError, loadRecords } from './load.js';
import type { LoadOptions, LoadSummary, RecordBatch } from './records.js';

/**
 * Ingestion of files (an Ergast dump and/or lap exports), one ingestion run per source:
 * read → loadRecords → record the run with its counts. Shared by `pitwall ingest` and
 * the ingest function; the API sources (Jolpica, OpenF1) use `runIngestion` the same way.
 *
 * A dump is all or nothing at the file level: every file is decoded and checked (read-dump.ts,
 * file-checks.ts) and every table validated before the first write, and one bad file or a
 * table with a majority of its rows quarantined fails the run with the reason and writes
 * nothing of the dump. Past those checks, single bad rows are quarantined and the rest loads.
 * A run beats while it runs, so the next run can fail one whose process died.
 */

// A NUL cannot be in a path (node throws) nor in the run's parameters (jsonb refuses it).
const location = () =>
  z
    .string()
    .min(1)
    .max(4096)
    .refine((v) => !v.includes('\u0000'), 'must not contain a NUL byte');

/** The file sources of an ingest (each optional; at least a dump or laps). */
export const ingestFileFields = z.object({
  /** Folder, .zip or gs:// URI of an Ergast dump. */
  dump: location().optional(),
  /** A lap file or a folder of them. */
  laps: location().optional(),
  /** An OpenF1 sessions.json to map stint session keys onto races (optional). */
  openf1Sessions: location().optional(),
  /** Strictly one race per transaction (default: whole races grouped up to 20,000 rows). */
  racesPerTransaction: z.number().int().min(1).optional(),
  /** Only the dump's seasons up to this one, with the drivers, teams and circuits in them (dump/to-season.ts). */
  toSeason: z.number().int().min(1950).max(2100).optional(),
});
export const ingestRequest = ingestFileFields
  .strict()
  .refine((r) => r.dump || r.laps, { message: 'give at least one of dump, laps' })
  .refine((r) => r.toSeason === undefined || r.dump, { message: 'toSeason (--to-season) trims a dump: give dump too' });
export type IngestRequest = z.infer<typeof ingestRequest>;

export interface IngestDeps extends DumpSourceDeps {
  repo: Repository;
  logger: Logger;
  /** Seconds between a running run's heartbeats (default 30), and of silence after which it counts as dead (default 15 min). */
  heartbeat?: { everySeconds: number; deadAfterSeconds: number };
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
  options: { racesPerTransaction?: number; refuseBadTables?: boolean } = {},
): Promise<RunOutcome> {
  const { repo, logger } = deps;
  const beat = deps.heartbeat ?? DEFAULT_HEARTBEAT;
  // A run left 'running' by a process that died is failed now, its quarantined rows dropped
  // (this run records them again): never two sets for the same input.
  for (const dead of await repo.ingestionRuns.reapDead(beat.deadAfterSeconds)) {
    logger.warn('ingestion run marked failed: its process stopped', { runId: dead.id, droppedRows: dead.droppedRows });
  }
  const run = await repo.ingestionRuns.start(source, parameters);
  const log = logger.child({ runId: run.id, source });
  // A missed beat (the database busy with this run's own transaction) is only logged.
  const timer = setInterval(() => {
    repo.ingestionRuns.heartbeat(run.id).catch((err: unknown) => log.warn('ingestion heartbeat failed', { err }));
  }, beat.everySeconds * 1000);
  timer.unref();
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
        ...(options.refuseBadTables ? { refuseBadTables: true } : {}),
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
    // A refusal (bad file, bad table) keeps its own type, so it answers 400 rather than 500.
    throw err instanceof LoadFailedError && err.cause instanceof PitwallError ? err.cause : err;
  } finally {
    clearInterval(timer);
  }
}

const DEFAULT_HEARTBEAT = { everySeconds: 30, deadAfterSeconds: 15 * 60 };

const openf1SessionsFile = z.array(
  z.object({ session_key: z.number().int(), session_name: z.string(), date_start: z.string(), year: z.number().int().optional() }).passthrough(),
);

/** An OpenF1 sessions list; a file that is not one is refused without quoting it (it may be any file). */
async function readOpenF1Sessions(file: string): Promise<z.infer<typeof openf1SessionsFile>> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw new ValidationError(`openf1Sessions not found: ${file}`);
  if (!stat.isFile()) throw new ValidationError(`openf1Sessions must be a JSON file (GET /v1/sessions saved): ${file} is not a regular file`);
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    throw new ValidationError(`openf1Sessions ${file} is not JSON: give the list OpenF1's GET /v1/sessions returns, saved as a file`);
  }
  const parsed = openf1SessionsFile.safeParse(json);
  if (!parsed.success) {
    throw new ValidationError(`openf1Sessions ${file} is not a list of OpenF1 sessions (each with session_key, session_name, date_start): give GET /v1/sessions saved as a file`);
  }
  return parsed.data;
}

export async function ingestFiles(deps: IngestDeps, request: IngestRequest): Promise<IngestOutcome> {
  const runs: RunOutcome[] = [];
  const perTx = request.racesPerTransaction ? { racesPerTransaction: request.racesPerTransaction } : {};
  if (request.dump) {
    const location = request.dump;
    const toSeason = request.toSeason;
    runs.push(
      await runIngestion(deps, 'dump', { dump: location, ...(toSeason !== undefined ? { toSeason } : {}) }, async () => {
        const { batch, rows, format } = await readDump(await openDumpSource(location, deps));
        deps.logger.info('dump read', { dump: location, format, rows, ...(toSeason !== undefined ? { toSeason } : {}) });
        return toSeason === undefined ? batch : keepSeasonsUpTo(batch, toSeason);
      }, { ...perTx, refuseBadTables: true }),
    );
  }
  if (request.laps) {
    const location = request.laps;
    runs.push(
      await runIngestion(deps, 'laps', { laps: location, ...(request.openf1Sessions ? { openf1Sessions: request.openf1Sessions } : {}) }, async () => {
        const files = await listLapFiles(location);
        const openf1Sessions = request.openf1Sessions ? await readOpenF1Sessions(request.openf1Sessions) : undefined;
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
