import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { runBacktest, seasonStartPool, WARMUP_SEASONS } from './backtest.js';
import { pointMetrics } from '../evaluation/score-race.js';
import { indexHistory } from '../features/race-features.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import { saveRaceModel } from '../models/race/model-artifacts.js';
import { savePool } from '../models/race/pool-artifacts.js';
import { poolEvidence, poolInputs } from '../models/race/pooled-model.js';
import { learntThrough, poolMetrics } from '../models/race/version-rules.js';
import type { Repository } from '../repository/index.js';
import type { ModelVersion } from '../repository/model-versions-store.js';
import { createFeatureCache } from './race-dataset.js';
import { fitRaceModel, type FitOptions } from './train-race-model.js';
import { ConflictError } from '../errors.js';

export interface TrainRaceDeps {
  repo: Pick<Repository, 'history' | 'modelVersions'>;
  store: ArtifactStore;
  logger: Logger;
  progress: (task: string, total: number) => Progress;
  now?: () => Date;
  revision?: string;
  task?: { index: number; attempt: number };
}

export interface TrainRaceOptions {
  /** Seasons of races the model is fitted on, ending with the latest complete season. */
  trainSeasons?: number;
  /** Train on data up to this season only (a replay of season S needs a model ≤ S−1). */
  toSeason?: number;
  /** Seasons of walk-forward evidence the new season's pool starts from (default WARMUP_SEASONS, as the backtest). */
  warmupSeasons?: number;
  fit?: FitOptions;
}

export interface TrainRaceOutcome {
  runId: number;
  modelVersion: ModelVersion;
  evaluationSeason: number;
}

/**
 * The race model's training job, as a plain function (the `pitwall train` command and the
 * Cloud Run job call it; the pit-stop model's training runs beside it). Reads history from
 * the database, evaluates walk-forward on the latest complete season (a model trained only
 * on the seasons before it, through the pool as the backtest runs it), then fits the next
 * season's network on the seasons up to and including it, starts its pool from the walk-
 * forward evidence of the last WARMUP_SEASONS seasons (backtest.seasonStartPool), writes the
 * artifacts and registers the version. After each race, updateRaceModel teaches the pool
 * that race's result. The training run row
 * records success or the error; a failure rethrows (the job then exits non-zero).
 */
export async function trainRaceModel(deps: TrainRaceDeps, options: TrainRaceOptions = {}): Promise<TrainRaceOutcome> {
  const now = deps.now ?? (() => new Date());
  const trainSeasons = options.trainSeasons ?? 11;
  const run = await deps.repo.modelVersions.startRun('race', { trainSeasons, toSeason: options.toSeason ?? null, fit: { ...options.fit, onEpoch: undefined } }, deps.task);
  const log = deps.logger.child({ trainingRunId: run.id });
  try {
    const snapshot = await deps.repo.history.snapshotId();
    const history = await deps.repo.history.load({});
    const ix = indexHistory(history);
    const complete = history.races.filter((r) => (ix.byRace.get(r.id)?.length ?? 0) > 0);
    const seasons = [...new Set(history.races.map((r) => r.season))];
    // The latest season whose every scheduled race has results.
    const latestComplete = seasons
      .filter((s) => options.toSeason === undefined || s <= options.toSeason)
      .filter((s) => history.races.filter((r) => r.season === s).every((r) => (ix.byRace.get(r.id)?.length ?? 0) > 0))
      .sort((a, b) => b - a)[0];
    if (latestComplete === undefined) throw new ConflictError('no complete season in the database: ingest data first (npx pitwall ingest --dump ../shared/data/ergast)');
    const fromSeason = latestComplete - trainSeasons + 1;
    log.info('training race model', { fromSeason, toSeason: latestComplete, snapshot });

    const evalRaces = complete.filter((r) => r.season === latestComplete).length;
    const warmupSeasons = options.warmupSeasons ?? WARMUP_SEASONS;
    const bar = deps.progress('train race model', evalRaces + warmupSeasons + 1);
    // The walk-forward evaluation of the latest complete season is also the evidence the
    // next season's pool starts from: the same networks the backtest fits for those seasons.
    const evaluation = await runBacktest(history, {
      fromSeason: latestComplete,
      toSeason: latestComplete,
      trainSeasons,
      warmupSeasons: warmupSeasons - 1,
      fit: options.fit,
      resamples: 200,
      onSeasonStart: (s) => bar.tick(1, `training the ${s} network (data ≤ ${s - 1})`),
      onRace: (label) => bar.tick(1, label),
    });

    const trainIds = complete.filter((r) => r.season >= fromSeason && r.season <= latestComplete).map((r) => r.id);
    const model = await fitRaceModel(ix, createFeatureCache(ix), trainIds, options.fit);
    bar.tick(1, 'fitted production model');
    bar.stop();

    const trainedAt = now();
    const version = `race-${trainedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}${deps.revision ? `-${deps.revision.slice(0, 7)}` : ''}`;
    const prefix = `race/${version}`;
    const learner = seasonStartPool(evaluation.evidence, latestComplete + 1, warmupSeasons);
    // A retrain during a season catches the pool up on that season's results, race by race,
    // as the post-race updates taught it (the network is the season's, refitted on the same data).
    const featuresOf = createFeatureCache(ix);
    const thisSeason = options.toSeason === undefined ? complete.filter((r) => r.season === latestComplete + 1).sort((a, b) => a.round - b.round) : [];
    for (const r of thisSeason) {
      const features = featuresOf(r.id);
      learner.observe(poolEvidence(r.id, features, poolInputs(model, features), ix.byRace.get(r.id) ?? []));
    }
    const lastRace = thisSeason.at(-1) ?? complete.filter((r) => r.season === latestComplete).sort((a, b) => a.round - b.round).at(-1)!;
    const through = learntThrough(lastRace, lastRace.raceStart);
    const metrics = {
      evaluationSeason: latestComplete,
      model: pointMetrics(evaluation.scored.model),
      baselines: Object.fromEntries(Object.entries(evaluation.scored).filter(([k]) => k !== 'model').map(([k, v]) => [k, pointMetrics(v)])),
      // What the pool has learnt: no freeze before this race's start may use the version.
      pool: poolMetrics(through, learner.current()),
    };
    await saveRaceModel(deps.store, prefix, model, {
      metrics,
      snapshot: { snapshot, dataFromSeason: fromSeason, dataToSeason: latestComplete, trainRaces: trainIds.length, revision: deps.revision ?? null },
    });
    await savePool(deps.store, prefix, {
      formatVersion: 1,
      network: prefix,
      through,
      learner: learner.snapshot(),
    });
    model.net.dispose();
    const modelVersion = await deps.repo.modelVersions.register({
      kind: 'race',
      version,
      trainedAt,
      dataFromSeason: fromSeason,
      dataToSeason: latestComplete,
      dataSnapshot: snapshot,
      metrics,
      artifactUri: deps.store.uriOf(prefix),
      codeRevision: deps.revision ?? null,
      trainingRunId: run.id,
    });
    await deps.repo.modelVersions.finishRun(run.id, {});
    log.info('race model registered', { version, artifactUri: modelVersion.artifactUri, evaluation: metrics.model });
    return { runId: run.id, modelVersion, evaluationSeason: latestComplete };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await deps.repo.modelVersions.finishRun(run.id, { error: message }).catch((e: unknown) => log.error('could not record the failed run', { err: e }));
    throw err;
  }
}
