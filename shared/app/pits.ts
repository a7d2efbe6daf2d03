import type { AppContext } from './context.js';
import { createArtifactStore } from '../artifacts/create-store.js';
import type { BoundRoute } from '../http/route.js';
import { setupTensorflow } from '../models/tf.js';
import { TtlCache } from '../cache/ttl-cache.js';
import { LruCache } from '../cache/lru-cache.js';
import { createPitModelRegistry } from '../pits/registry.js';
import { pitsFunction, sharedModelLoads, type DriverNames, type LoadedPitModel, type PitModelSource } from '../pits/serve.js';
import { PitModelOutdatedError } from '../pits/model.js';
import { createPitModelSource, PitModelMissingError } from '../pits/train.js';
import { WorkGate } from '../pits/work-gate.js';

/**
 * The pits function's dependencies over an app context: TensorFlow backend, the artifact
 * store the pit models live in, the latest 'pit' model version (reloaded when a newer one
 * is registered), the instance's forecast cache, and the gate that keeps forecasts from
 * piling up on one event loop. Loaded only by a process that serves the pits function (or
 * the ingest function's live ticks).
 */
export async function pitModelSourceOf(app: AppContext): Promise<PitModelSource> {
  await setupTensorflow({ logger: app.logger });
  const artifacts = await createArtifactStore(app.config.artifactStoreUri, {
    ...(app.config.gcsApiEndpoint ? { gcsApiEndpoint: app.config.gcsApiEndpoint } : {}),
    ...(app.config.gcp.project ? { projectId: app.config.gcp.project } : {}),
  });
  return sharedModelLoads(createPitModelSource(createPitModelRegistry({ artifacts, versions: app.repo.modelVersions })));
}

/** The serving pit model for the live tick, or null until one is trained (the tick then carries no pit odds). */
export function livePitModel(app: AppContext): () => Promise<LoadedPitModel | null> {
  let source: Promise<PitModelSource> | undefined;
  return async () => {
    source ??= pitModelSourceOf(app);
    try {
      return await (await source).latest();
    } catch (err) {
      // None trained yet, or one trained on an older feature list: the tick goes on without pit odds.
      if (err instanceof PitModelMissingError || err instanceof PitModelOutdatedError) return null;
      throw err;
    }
  };
}

export async function pitsRoutesOf(app: AppContext): Promise<BoundRoute[]> {
  const models = await pitModelSourceOf(app);
  const { cacheEntries, maxRunning, maxQueued } = app.config.pits;
  // Forecasts are CPU on this event loop: a few compute, a few wait, the rest get 503 at once.
  const gate = maxRunning > 0 ? new WorkGate(maxRunning, maxQueued) : undefined;
  return pitsFunction({
    repo: app.repo,
    logger: app.logger.child({ function: 'pits' }),
    models,
    cache: new LruCache(cacheEntries),
    names: new TtlCache<DriverNames, string>(5 * 60_000),
    ...(gate ? { gate } : {}),
  });
}
