import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startDevServer } from '../../../functions/dev-server.js';
import { createAppContext, type AppContext } from '../../app/context.js';
import { migrateLatest } from '../../db/migrate.js';
import { ValidationError } from '../../errors.js';
import { ingestFiles } from '../../ingest/ingest.js';
import { localPitTraining, pitModelUsableBefore } from '../../pits/local-training.js';
import { systemClock } from '../../lifecycle/clock.js';
import { createProgress } from '../../log/progress.js';
import type { Command } from '../command.js';

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
  const { applied } = await migrateLatest(app.db.knex);
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
    const [{ setupTensorflow }, { createArtifactStore }] = await Promise.all([import('../../models/tf.js'), import('../../artifacts/create-store.js')]);
    await setupTensorflow();
    return createArtifactStore(app.config.artifactStoreUri, { gcsApiEndpoint: app.config.gcsApiEndpoint, projectId: app.config.gcp.project });
  };
  const trainingKit = () => (kit ??= loadTrainingKit());
  if (options.train && !usable) {
    app.logger.info('no usable race model registered: training one first (pitwall train)', { trainedBefore: options.trainedBefore });
    const { trainRaceModel } = await import('../../training/train-race-job.js');
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
    const { defaultTrainPit, trainPitModel } = await import('../../pits/train.js');
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

export const serveCommand: Command = {
  summary: 'serve every function on one port (migrates and ingests first when the database is empty)',
  usage: 'pitwall serve [--port <n>] [--host <address>] [--no-train]',
  async run({ config, logger }, argv) {
    const { values } = parseArgs({ args: argv, options: { port: { type: 'string' }, host: { type: 'string' }, 'no-train': { type: 'boolean' } }, strict: true });
    const port = values.port === undefined ? config.port : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError(`--port must be 0..65535, got ${values.port}`);
    const app = await createAppContext(config, logger);
    try {
      const prepared = await prepareLocalStack(app, { train: !values['no-train'] });
      const server = await startDevServer({ app, clock: systemClock, port, host: values.host ?? '127.0.0.1' });
      logger.info(`pitwall listening on ${server.url}`, { url: server.url, database: app.db.kind, ...prepared });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      return 0;
    } finally {
      await app.close();
    }
  },
};
