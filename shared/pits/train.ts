import type * as tf from '@tensorflow/tfjs';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { ConflictError, NotReadyError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import type { Repository } from '../repository/index.js';
import { buildWindows, pitNextLabels } from './dataset.js';
import { buildSequences, featureNames, featureSetId } from './features.js';
import { loadPitRaces } from './load.js';
import { bestF1Threshold, prAuc } from './metrics.js';
import { buildPitModel, defaultModelOptions, fitPitModel, loadPitModel, predictPits, serializePitModel, type PitModelOptions } from './model.js';
import { createPitModelRegistry, type PitModelRegistry } from './registry.js';
import type { LoadedPitModel, PitModelSource } from './serve.js';

export interface TrainPitOptions {
  /** Seasons to fit on. */
  trainSeasons: [number, number];
  /** Season the alarm threshold is chosen on (not fitted on). */
  thresholdSeason: number;
  model: PitModelOptions;
  epochs: number;
  batchSize: number;
}

export const defaultTrainPit: TrainPitOptions = {
  trainSeasons: [2019, 2023],
  thresholdSeason: 2024,
  model: defaultModelOptions,
  epochs: 8,
  batchSize: 256,
};

export interface TrainPitDeps {
  repo: Repository;
  logger: Logger;
  /** Where the model goes; the registry over it writes the model_versions row. */
  artifacts: ArtifactStore;
  progress?: (task: string, total: number) => Progress;
  codeRevision?: string | null;
  /** Another registry (tests); default: artifacts + model_versions. */
  registry?: PitModelRegistry;
}

export interface TrainPitOutcome {
  version: string;
  rows: number;
  positives: number;
  threshold: number;
  thresholdSeasonPrAuc: number;
  fitSeconds: number;
}

/** The training job's pit step: fit, choose the threshold, publish; recorded as a training run of kind 'pit'. */
export async function trainPitModel(deps: TrainPitDeps, o: TrainPitOptions = defaultTrainPit): Promise<TrainPitOutcome> {
  const run = await deps.repo.modelVersions.startRun('pit', { ...o });
  try {
    const registry =
      deps.registry ??
      createPitModelRegistry({ artifacts: deps.artifacts, versions: deps.repo.modelVersions, codeRevision: deps.codeRevision ?? null, trainingRunId: run.id });
    const outcome = await fitAndPublish({ ...deps, registry }, o);
    await deps.repo.modelVersions.finishRun(run.id, {});
    return outcome;
  } catch (err) {
    await deps.repo.modelVersions.finishRun(run.id, { error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
}

async function fitAndPublish(deps: TrainPitDeps & { registry: PitModelRegistry }, o: TrainPitOptions): Promise<TrainPitOutcome> {
  const { repo, logger } = deps;
  const train = await loadPitRaces(repo, { fromSeason: o.trainSeasons[0], toSeason: o.trainSeasons[1] });
  const held = await loadPitRaces(repo, { fromSeason: o.thresholdSeason, toSeason: o.thresholdSeason });
  if (train.races.length === 0) throw new ConflictError(`no races with lap data in ${o.trainSeasons.join('–')}: load lap files first (npx pitwall ingest --laps ../shared/data/laps)`);
  for (const s of [...train.skipped, ...held.skipped]) logger.info('pit training: race left out', s);
  const set = buildWindows(train.races.flatMap(buildSequences), o.model.window);
  const positives = pitNextLabels(set).reduce((a, b) => a + b, 0);
  const model = buildPitModel(o.model);
  // The held-out season picks the epoch (early stopping on PR-AUC) and the alarm threshold.
  const h = held.races.length > 0 ? buildWindows(held.races.flatMap(buildSequences), o.model.window) : undefined;
  const heldP = (m: tf.LayersModel) => predictPits(m, h!.windows, h!.n, h!.w).map((r) => r[0]!);
  const bar = deps.progress?.('train pit model', o.epochs);
  const started = Date.now();
  let epochKept = o.epochs;
  try {
    ({ epoch: epochKept } = await fitPitModel(model, set, {
      epochs: o.epochs,
      batchSize: o.batchSize,
      ...(h ? { score: (m: tf.LayersModel) => prAuc(heldP(m), pitNextLabels(h)) } : {}),
      onEpoch: (epoch, loss, heldPrAuc) => {
        bar?.tick(1, `loss ${loss.toFixed(4)}${heldPrAuc === undefined ? '' : `, PR-AUC ${o.thresholdSeason} ${heldPrAuc.toFixed(3)}`}`);
        if (!bar) logger.info('pit model epoch', { epoch: epoch + 1, of: o.epochs, loss, heldPrAuc });
      },
    }));
  } finally {
    bar?.stop();
  }
  const fitSeconds = (Date.now() - started) / 1000;
  let threshold = 0.5;
  let heldPrAuc = NaN;
  if (h) {
    const p = heldP(model);
    threshold = bestF1Threshold(p, pitNextLabels(h));
    heldPrAuc = prAuc(p, pitNextLabels(h));
  }
  const artifact = await serializePitModel(model, {
    options: o.model,
    featureNames: [...featureNames],
    threshold,
    trainedOn: {
      seasons: Array.from({ length: o.trainSeasons[1] - o.trainSeasons[0] + 1 }, (_, i) => o.trainSeasons[0] + i),
      rows: set.n,
      positives,
    },
  });
  model.dispose();
  const { version } = await deps.registry.publish(artifact, { threshold, thresholdSeasonPrAuc: heldPrAuc, fitSeconds, rows: set.n, epochKept, featureSet: featureSetId });
  logger.info('pit model published', { version, threshold, thresholdSeasonPrAuc: heldPrAuc, fitSeconds, epochKept });
  return { version, rows: set.n, positives, threshold, thresholdSeasonPrAuc: heldPrAuc, fitSeconds };
}

/**
 * Serving's model source over the registry: loads the latest version once and keeps it
 * until a newer version is published (checked at most every `recheckMs`).
 */
export function createPitModelSource(registry: PitModelRegistry, recheckMs = 60_000, now = () => Date.now()): PitModelSource {
  let current: LoadedPitModel | undefined;
  let checkedAt = -Infinity;
  return {
    async latest() {
      if (current && now() - checkedAt < recheckMs) return current;
      const found = await registry.latest();
      checkedAt = now();
      if (!found) throw new PitModelMissingError();
      if (current?.version !== found.version) {
        const model = await loadPitModel(found.artifact);
        current?.model.dispose();
        current = { version: found.version, model, window: found.artifact.options.window, threshold: found.artifact.threshold };
      }
      return current;
    },
  };
}

export class PitModelMissingError extends NotReadyError {
  constructor() {
    super('no pit model has been trained yet: run the training job (pitwall train)', 3600);
  }
}
