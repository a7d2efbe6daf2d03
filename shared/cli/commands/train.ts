import { createAppContext } from '../../app/context.js';
import { createArtifactStore } from '../../artifacts/create-store.js';
import { migrateLatest } from '../../db/migrate.js';
import { createProgress } from '../../log/progress.js';
import { setupTensorflow } from '../../models/tf.js';
import { trainPitModel } from '../../pits/train.js';
import { trainRaceModel } from '../../training/train-race-job.js';
import { flagCommand } from '../command.js';

/**
 * The Cloud Run training job's entrypoint. A job with several tasks trains once (task 0);
 * any failure exits non-zero so Cloud Run retries or reports it.
 */
export const trainCommand = flagCommand({
  summary: 'train the models on the database, evaluate, store the artifacts and register the versions',
  usage: 'pitwall train [--train-seasons N] [--epochs N]',
  flags: { 'train-seasons': { type: 'string' }, epochs: { type: 'string' } },
  async run({ config, logger, stdout }, values) {
    if (config.cloudRunTask.index > 0) {
      logger.info('training runs on task 0 only; nothing to do', { task: config.cloudRunTask });
      return 0;
    }
    const backend = await setupTensorflow({ logger });
    const app = await createAppContext(config, logger);
    try {
      await migrateLatest(app.db.knex);
      const store = await createArtifactStore(config.artifactStoreUri, { gcsApiEndpoint: config.gcsApiEndpoint, projectId: config.gcp.project });
      logger.info('training', { backend, artifactStore: store.root });
      const deps = {
        repo: app.repo,
        store,
        logger,
        progress: (task: string, total: number) => createProgress(logger, task, total),
        revision: config.revision,
        task: { index: config.cloudRunTask.index, attempt: config.cloudRunTask.attempt },
      };
      const race = await trainRaceModel(deps, {
        ...(values['train-seasons'] ? { trainSeasons: Number(values['train-seasons']) } : {}),
        ...(values.epochs ? { fit: { epochs: Number(values.epochs) } } : {}),
      });
      const pit = await trainPitModel({ repo: app.repo, logger, artifacts: store, progress: deps.progress, codeRevision: config.revision ?? null });
      stdout.write(`${JSON.stringify({ race: { version: race.modelVersion.version, artifactUri: race.modelVersion.artifactUri, evaluationSeason: race.evaluationSeason, metrics: race.modelVersion.metrics }, pit }, null, 2)}\n`);
      return 0;
    } finally {
      await app.close();
    }
  },
});
