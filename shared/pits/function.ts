import type { AppContext } from '../app/context.js';
import { createArtifactStore } from '../artifacts/create-store.js';
import type { Handler } from '../http/handler.js';
import { setupTensorflow } from '../models/tf.js';
import { ForecastCache } from './forecast-cache.js';
import { createPitModelRegistry } from './registry.js';
import { handlePits } from './serve.js';
import { createPitModelSource } from './train.js';

/**
 * The `pits` function's handler over an app context: TensorFlow backend, the artifact
 * store the pit models live in, and the latest 'pit' model version (reloaded when a newer
 * one is registered), and the instance's cache of stored-race forecasts. Built once per
 * instance, by the function module or the dev server.
 */
export async function createPitsFunction(app: AppContext): Promise<Handler> {
  await setupTensorflow({ logger: app.logger });
  const artifacts = await createArtifactStore(app.config.artifactStoreUri, {
    ...(app.config.gcsApiEndpoint ? { gcsApiEndpoint: app.config.gcsApiEndpoint } : {}),
    ...(app.config.gcp.project ? { projectId: app.config.gcp.project } : {}),
  });
  const models = createPitModelSource(createPitModelRegistry({ artifacts, versions: app.repo.modelVersions }));
  const logger = app.logger.child({ function: 'pits' });
  const cache = new ForecastCache();
  return (req) => handlePits({ repo: app.repo, logger, models, cache }, { ...req, body: req.body });
}
