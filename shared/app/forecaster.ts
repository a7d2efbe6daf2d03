import type { AppContext } from './context.js';
import type { CurrentForecaster, Forecaster } from '../domain/forecast.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Logger } from '../log/logger.js';
import type { ModelUpdate } from '../lifecycle/sync-results.js';
import { dataThrough, versionMayForecast } from '../models/race/version-rules.js';
import { QualifyingOrderForecaster } from '../lifecycle/qualifying-order-forecaster.js';
import { TtlCache } from '../cache/ttl-cache.js';

/** How late predict may notice a newly registered model version. */
export const MODEL_VERSION_TTL_MS = 5_000;

/**
 * The model version a freeze uses: the latest registered race model that may forecast a race
 * frozen at `asOf` (its network trained on seasons before the race's, its pool having learnt
 * no race that started at or after `asOf`: the version the backtest would have used then),
 * else the qualifying-order baseline (fresh clone, nothing trained yet, or only models that
 * have seen the race). Finding the version is one query; the model itself is loaded from the
 * artifact store only when a forecast is needed (a frozen race never loads it), then kept per
 * version. `trainedBefore` admits only models whose data ends before that season.
 */
export function currentForecaster(app: AppContext, options: { trainedBefore?: number } = {}): CurrentForecaster {
  const baseline = new QualifyingOrderForecaster(app.repo);
  const loaded = new Map<string, Promise<Forecaster>>();
  const load = (version: string, artifactUri: string) => {
    let f = loaded.get(version);
    if (!f) {
      f = (async () => {
        const [{ setupTensorflow }, { createArtifactStore }, { createRaceForecaster, artifactKeyOf }, { loadPooledRaceModel }] = await Promise.all([
          import('../models/tf.js'),
          import('../artifacts/create-store.js'),
          import('../models/race/forecaster.js'),
          import('../models/race/pool-artifacts.js'),
        ]);
        await setupTensorflow({ logger: app.logger });
        const store = await createArtifactStore(app.config.artifactStoreUri, { gcsApiEndpoint: app.config.gcsApiEndpoint, projectId: app.config.gcp.project });
        const { model, pool } = await loadPooledRaceModel(store, artifactKeyOf(store, artifactUri));
        return createRaceForecaster({ repo: app.repo, model, version, pool });
      })();
      f.catch(() => loaded.delete(version));
      loaded.set(version, f);
    }
    return f;
  };
  const versionList = new TtlCache<Awaited<ReturnType<typeof app.repo.modelVersions.list>>>(MODEL_VERSION_TTL_MS);
  const current: CurrentForecaster = async (asOf) => {
    const versions = await versionList.get('race', () => app.repo.modelVersions.list('race', 200));
    // The usable version with the most recent data (not the most recently trained: replaying an
    // older season registers older-data versions, which must not replace the current model).
    const usable = versions
      .filter((v) => (options.trainedBefore === undefined || v.dataToSeason < options.trainedBefore) && (asOf === undefined || versionMayForecast(v, asOf)))
      .map((v, i) => ({ v, i, through: dataThrough(v) }))
      .sort((a, b) => b.through - a.through || a.i - b.i)[0]?.v;
    if (!usable) return baseline;
    return { version: usable.version, forecast: async (raceId, at, more) => (await load(usable.version, usable.artifactUri)).forecast(raceId, at, more) };
  };
  current.invalidate = () => versionList.delete('race');
  current.byVersion = async (version) => {
    if (version === baseline.version) return baseline;
    const v = (await versionList.get('race', () => app.repo.modelVersions.list('race', 200))).find((x) => x.version === version) ?? (await app.repo.modelVersions.byVersion('race', version));
    if (!v) return undefined;
    try {
      return await load(v.version, v.artifactUri);
    } catch {
      return undefined; // its artifacts are gone or unreadable: the caller falls back to the current version
    }
  };
  return current;
}

/**
 * The post-race model update (training/update-race-model.ts) for the sync function. TensorFlow
 * and the artifact store are set up on the first update only; the forecaster's version list is
 * dropped after one, so an in-process freeze (the replay, the dev server) sees the new version.
 */
export function modelUpdater(app: AppContext, logger: Logger, forecaster: CurrentForecaster): (raceId: number) => Promise<ModelUpdate> {
  let setup: Promise<ArtifactStore> | undefined;
  return async (raceId) => {
    setup ??= (async () => {
      const [{ setupTensorflow }, { createArtifactStore }] = await Promise.all([import('../models/tf.js'), import('../artifacts/create-store.js')]);
      await setupTensorflow({ logger });
      return createArtifactStore(app.config.artifactStoreUri, { gcsApiEndpoint: app.config.gcsApiEndpoint, projectId: app.config.gcp.project });
    })();
    setup.catch(() => (setup = undefined));
    const { updateRaceModel } = await import('../training/update-race-model.js');
    const out = await updateRaceModel({ repo: app.repo, store: await setup, logger }, raceId);
    if (out.status === 'updated') forecaster.invalidate?.();
    return { status: out.status, modelVersion: 'modelVersion' in out ? out.modelVersion.version : null, reason: 'reason' in out ? out.reason : null };
  };
}

