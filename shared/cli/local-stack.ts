import fs from 'node:fs';
import path from 'node:path';
import { startDevServer } from '../app/dev-server.js';
import { currentForecaster } from '../app/forecaster.js';
import type { AppContext } from '../app/context.js';
import { migrateConfigured } from '../db/migrate.js';
import { ValidationError } from '../errors.js';
import { ingestFiles } from '../ingest/ingest.js';
import { SimulatedClock } from '../clock.js';
import { replaySeason, type ReplayReport } from '../lifecycle/replay.js';
import { createProgress } from '../log/progress.js';
import { localPitTraining, pitModelUsableBefore } from '../pits/local-training.js';

/**
 * Makes a local database ready to serve: migrations, then the Ergast dump (F1_DUMP_DIR,
 * else F1_DATA_DIR/ergast) when no race is loaded yet, then (with `train`) a race model
 * and a quick pit model when none is registered. Without a trained race model the
 * qualifying-order baseline serves; without a pit model the pit view answers 503.
 */
export async function prepareLocalStack(
  app: AppContext,
  options: { train?: boolean; trainedBefore?: number } = {},
): Promise<{ migrated: string[]; ingested: boolean; trained: string | null; trainedPit: string | null }> {
  const { applied } = await migrateConfigured(app.config, app.db.knex);
  const [row] = await app.db.knex('races').count<{ n: string | number }[]>('* as n');
  const ingested = Number(row?.n ?? 0) === 0 ? (await ingestDump(app), true) : false;
  let trained: string | null = null;
  // A replay of season S may only use a model trained on seasons before S (walk-forward), with
  // the pool the backtest runs (a model trained before the pool would not replay its rows).
  const usable = (await app.repo.modelVersions.list('race', 50)).some(
    (v) => options.trainedBefore === undefined || (v.dataToSeason < options.trainedBefore && v.metrics.pool !== undefined),
  );
  const progress = (task: string, total: number) => createProgress(app.logger, task, total);
  // Loaded only when something is trained (cold start of a ready stack), once for both models.
  let kit: ReturnType<typeof loadTrainingKit> | undefined;
  const loadTrainingKit = async () => {
    const [{ setupTensorflow }, { createArtifactStore }] = await Promise.all([import('../models/tf.js'), import('../artifacts/create-store.js')]);
    await setupTensorflow({ logger: app.logger });
    return createArtifactStore(app.config.artifactStoreUri, { gcsApiEndpoint: app.config.gcsApiEndpoint, projectId: app.config.gcp.project });
  };
  const trainingKit = () => (kit ??= loadTrainingKit());
  if (options.train && !usable) {
    app.logger.info('no usable race model registered: training one first (pitwall train)', { trainedBefore: options.trainedBefore });
    const { trainRaceModel } = await import('../training/train-race-job.js');
    const store = await trainingKit();
    const outcome = await trainRaceModel(
      { repo: app.repo, store, logger: app.logger, progress },
      options.trainedBefore === undefined ? {} : { toSeason: options.trainedBefore - 1 },
    );
    trained = outcome.modelVersion.version;
  }
  let trainedPit: string | null = null;
  const pitUsable = (await app.repo.modelVersions.list('pit', 50)).some((v) => pitModelUsableBefore(v, options.trainedBefore));
  if (options.train && !pitUsable) {
    const { defaultTrainPit, trainPitModel } = await import('../pits/train.js');
    const plan = localPitTraining(defaultTrainPit, options.trainedBefore);
    app.logger.info('no usable pit model registered: training a quick one (pitwall train fits the full one)', { ...plan });
    try {
      const store = await trainingKit();
      trainedPit = (await trainPitModel({ repo: app.repo, logger: app.logger, artifacts: store, progress, codeRevision: app.config.revision ?? null }, plan)).version;
    } catch (err) {
      // No lap data (a dump without laps): everything but the pit view still works.
      app.logger.warn('pit model not trained: the pit view answers 503 until pitwall train runs', { error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { migrated: applied, ingested, trained, trainedPit };
}

async function ingestDump(app: AppContext): Promise<void> {
  const dump = app.config.dumpDir ?? path.join(app.config.dataDir, 'ergast');
  if (!dump.startsWith('gs://') && !fs.existsSync(dump)) {
    throw new ValidationError(`the database is empty and no Ergast dump was found at ${dump}: set F1_DUMP_DIR (or F1_DATA_DIR)`);
  }
  // Lap data feeds the pit-stop model and the dashboard's pit view; optional for the rest.
  const laps = path.join(app.config.dataDir, 'laps');
  const withLaps = !dump.startsWith('gs://') && fs.existsSync(laps);
  app.logger.info('empty database: ingesting the Ergast dump first', { dump, ...(withLaps ? { laps } : {}) });
  const outcome = await ingestFiles(
    { repo: app.repo, logger: app.logger, progress: (task, total) => createProgress(app.logger, task, total) },
    { dump, ...(withLaps ? { laps } : {}) },
  );
  if (outcome.runs.some((r) => r.status !== 'succeeded')) throw new Error(`ingesting ${dump} failed`);
}

/**
 * A season through the real functions in this process, with a simulated clock, forecast
 * walk-forward: only a model whose training data ends before the season may forecast it (and,
 * as each result is synced, its post-race updates).
 */
export async function replayLocally(app: AppContext, season: number, options: { rounds?: number } = {}): Promise<ReplayReport> {
  const races = (await app.repo.races.listSeason(season)).filter((r) => options.rounds === undefined || r.round <= options.rounds);
  if (races.length === 0) throw new ValidationError(`no races of ${season} in the database`);
  const clock = new SimulatedClock(new Date(Date.UTC(season, 0, 1)));
  const forecaster = currentForecaster(app, { trainedBefore: season });
  const server = await startDevServer({ app, clock, port: 0, forecaster });
  const progress = createProgress(app.logger, `replay ${season}`, races.length);
  try {
    return await replaySeason({ baseUrl: server.url, clock, policy: app.config.freezePolicy, preWeekendPolicy: app.config.preWeekendPolicy, races, progress }, season);
  } finally {
    progress.stop();
    await server.close();
  }
}

/**
 * The season a fresh local start replays: the latest one with results, when no snapshot was
 * ever frozen (a replay or a real freeze fills the dashboard; after that, nothing is redone).
 */
export async function firstStartSeason(app: AppContext): Promise<number | null> {
  const [frozen] = await app.db.knex('predictions').count<{ n: string | number }[]>('* as n');
  if (Number(frozen?.n ?? 0) > 0) return null;
  const row = await app.db.knex('results as x').join('races as r', 'r.id', 'x.race_id').max<{ season: number | null }[]>('r.season as season');
  return row[0]?.season == null ? null : Number(row[0].season);
}
