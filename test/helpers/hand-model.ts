import type { CurrentForecaster } from '../../shared/domain/forecast.js';
import { featureNames, type FeatureName } from '../../shared/features/race-features.js';
import { createRaceForecaster } from '../../shared/models/race/forecaster.js';
import { defaultPoolSettings } from '../../shared/models/race/pool.js';
import type { PoolArtifact } from '../../shared/models/race/pool-artifacts.js';
import type { RaceModel } from '../../shared/models/race/race-model.js';
import { tf } from '../../shared/models/tf.js';
import type { Repository } from '../../shared/repository/index.js';

export const HAND_MODEL_VERSION = 'test-explain-v1';
const F = featureNames.length;

/**
 * A small model on the real features, built by hand (training one is slow): the network reads
 * the driver's and the team's form, the pool weighs it at b = 0.6 beside the grid terms.
 */
export function handModel(): { model: RaceModel; pool: PoolArtifact } {
  const w: Partial<Record<FeatureName, number>> = { driverFormPosition: -0.12, constructorFormPoints: 0.08, constructorRaceGain: 0.2 };
  const net = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2 * F], useBias: false })] });
  net.setWeights([tf.tensor2d(Array.from({ length: 2 * F }, (_, k) => [w[featureNames[k] as FeatureName] ?? 0, 0]))]);
  const slotTable = { slots: Array.from({ length: 20 }, (_, i) => ({ n: 100, win: Math.max(0, 45 - i * 6), podium: 0, top10: 50, dnf: 8, finishes: [i + 1] })) };
  const gapTable = { gaps: Array.from({ length: 20 }, (_, p) => Array.from({ length: 30 }, (_, k) => (p === 0 ? 0 : p * 4 + (k % 7)))) };
  const model: RaceModel = {
    net,
    spec: { kind: 'race', formatVersion: 1, featureNames: [...featureNames], normalisation: { mean: new Array(F).fill(0), std: new Array(F).fill(1) }, temperature: 1, dnfCalibration: { a: 1, b: 0 }, gapTable, slotTable, samples: 4000 },
  };
  const fit = { strength: [1, 0, 0.6], dnf: [-2.2, 0] as [number, number], halfLife: 8, races: 1 };
  const pool: PoolArtifact = { formatVersion: 1, network: 'hand', through: null, learner: { settings: defaultPoolSettings, seen: 1, races: [], scores: {}, fits: { '8': fit }, teamScores: {}, teamFits: {} } };
  return { model, pool };
}

/** The hand-built model registered (trained on 2021–2023, so it may forecast 2024) and served as the current forecaster. */
export async function handForecaster(repo: Repository): Promise<CurrentForecaster> {
  await repo.modelVersions.register({
    kind: 'race', version: HAND_MODEL_VERSION, trainedAt: new Date('2024-01-01T00:00:00Z'), dataFromSeason: 2021, dataToSeason: 2023, dataSnapshot: 'hand-built', metrics: {},
    artifactUri: 'file:///nowhere', codeRevision: null, trainingRunId: null,
  });
  const { model, pool } = handModel();
  const f = createRaceForecaster({ repo, model, version: HAND_MODEL_VERSION, pool });
  return Object.assign(async () => f, { byVersion: async (v: string) => (v === HAND_MODEL_VERSION ? f : undefined) });
}
