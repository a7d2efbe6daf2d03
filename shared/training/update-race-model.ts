import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { postQualifyingFreezeAt } from '../domain/freeze-instant.js';
import { sessionStartsAt } from '../domain/reference.js';
import { NotFoundError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { artifactKeyOf, raceFeaturesAsOf } from '../models/race/forecaster.js';
import { learnerOf, loadPooledRaceModel, savePool } from '../models/race/pool-artifacts.js';
import { learntThrough, poolMetrics, versionMayForecast } from '../models/race/version-rules.js';
import { poolEvidence, poolInputs } from '../models/race/pooled-model.js';
import type { Repository } from '../repository/index.js';
import type { ModelVersion } from '../repository/model-versions-store.js';

export interface UpdateRaceDeps {
  repo: Pick<Repository, 'races' | 'history' | 'reference' | 'modelVersions'>;
  store: ArtifactStore;
  logger: Logger;
  now?: () => Date;
}

export type UpdateOutcome =
  | { status: 'updated'; modelVersion: ModelVersion }
  | { status: 'unchanged'; modelVersion: ModelVersion; reason: string }
  | { status: 'skipped'; reason: string };

/**
 * The production loop's update after a race, the step the backtest takes between two races:
 * the current model's pool learns the race's result (features as of the race's freeze, through
 * the same network, so exactly what the frozen forecast read) and is registered as a new model
 * version, `<network version>+<season>r<round>`, which the next freeze uses. The version that
 * learns is the one that may forecast the race (version-rules.versionMayForecast), so the pool
 * learns in calendar order, as in the backtest. Idempotent: a race learnt already leaves the
 * versions as they are.
 */
export async function updateRaceModel(deps: UpdateRaceDeps, raceId: number): Promise<UpdateOutcome> {
  const race = await deps.repo.races.byId(raceId);
  if (!race) throw new NotFoundError('race', raceId);
  const asOf = postQualifyingFreezeAt(race);
  // The version that forecast (or would have forecast) this race learns it.
  const latest = (await deps.repo.modelVersions.list('race', 200)).find((v) => versionMayForecast(v, asOf));
  if (!latest) return { status: 'skipped', reason: `no race model may forecast ${race.season} round ${race.round} (the qualifying-order baseline serves it)` };
  const base = latest.version.split('+')[0]!;
  const tag = `${race.season}r${String(race.round).padStart(2, '0')}`;
  const version = `${base}+${tag}`;
  const done = await deps.repo.modelVersions.byVersion('race', version);
  if (done) return { status: 'unchanged', modelVersion: done, reason: `model ${latest.version} has learnt this race already (${version})` };
  const { model, pool } = await loadPooledRaceModel(deps.store, artifactKeyOf(deps.store, latest.artifactUri));
  try {
    if (!pool) return { status: 'skipped', reason: `model ${latest.version} has no pool (trained before it): retrain to update it after races` };
    const learner = learnerOf(pool);
    if (learner.has(raceId)) return { status: 'unchanged', modelVersion: latest, reason: `model ${latest.version} has learnt this race already` };
    const raceStart = sessionStartsAt(race.sessions.race);
    const results = await deps.repo.reference.results(raceId);
    if (results.length === 0) throw new NotFoundError('results of race', raceId);

    const features = await raceFeaturesAsOf(deps.repo, raceId, asOf);
    learner.observe(poolEvidence(raceId, features, poolInputs(model, features), results));

    const prefix = `race/${base}/updates/${tag}`;
    const through = learntThrough(race, raceStart);
    const artifactUri = await savePool(deps.store, prefix, { formatVersion: 1, network: pool.network, through, learner: learner.snapshot() });
    const current = learner.current();
    const modelVersion = await deps.repo.modelVersions.register({
      kind: 'race',
      version,
      trainedAt: (deps.now ?? (() => new Date()))(),
      dataFromSeason: latest.dataFromSeason,
      dataToSeason: latest.dataToSeason,
      dataSnapshot: `${latest.dataSnapshot}+${tag}`,
      metrics: { ...latest.metrics, pool: poolMetrics(through, current) },
      artifactUri,
      codeRevision: latest.codeRevision,
      trainingRunId: latest.trainingRunId,
    });
    deps.logger.info('race model updated after the race', { version, raceId, networkWeight: current.strength.at(-1), halfLife: current.halfLife });
    return { status: 'updated', modelVersion };
  } finally {
    model.net.dispose();
  }
}
