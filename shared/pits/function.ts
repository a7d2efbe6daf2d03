import type { AppContext } from '../app/context.js';
import { createArtifactStore } from '../artifacts/create-store.js';
import type { Handler } from '../http/handler.js';
import { setupTensorflow } from '../models/tf.js';
import { TtlCache } from '../lifecycle/snapshot-cache.js';
import { ForecastCache } from './forecast-cache.js';
import { createPitModelRegistry } from './registry.js';
import { handlePits, sharedModelLoads, type DriverNames } from './serve.js';
import { createPitModelSource } from './train.js';
import { WorkGate } from './work-gate.js';

/**
 * The `pits` function's handler over an app context: TensorFlow backend, the artifact
 * store the pit models live in, the latest 'pit' model version (reloaded when a newer one
 * is registered), the instance's forecast cache, and the gate that keeps forecasts from
 * piling up on one event loop. Built once per instance, by the function module or the dev server.
 */
export async function createPitsFunction(app: AppContext): Promise<Handler> {
  await setupTensorflow({ logger: app.logger });
  const artifacts = await createArtifactStore(app.config.artifactStoreUri, {
    ...(app.config.gcsApiEndpoint ? { gcsApiEndpoint: app.config.gcsApiEndpoint } : {}),
    ...(app.config.gcp.project ? { projectId: app.config.gcp.project } : {}),
  });
  const models = sharedModelLoads(createPitModelSource(createPitModelRegistry({ artifacts, versions: app.repo.modelVersions })));
  const logger = app.logger.child({ function: 'pits' });
  const { cacheEntries, maxRunning, maxQueued } = app.config.pits;
  const cache = new ForecastCache(cacheEntries);
  // Forecasts are CPU on this event loop: a few compute, a few wait, the rest get 503 at once.
  const gate = maxRunning > 0 ? new WorkGate(maxRunning, maxQueued) : undefined;
  const names = new TtlCache<DriverNames, string>(5 * 60_000);
  return (req) => handlePits({ repo: app.repo, logger, models, cache, names, ...(gate ? { gate } : {}) }, { ...req, body: req.body });
}
