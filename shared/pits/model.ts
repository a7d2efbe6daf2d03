import * as tf from '@tensorflow/tfjs';
import { NotReadyError } from '../errors.js';
import { horizons, type WindowSet } from './dataset.js';
import { featureCount, featureNames } from './features.js';

/**
 * Bidirectional LSTM with attention over the last W laps of one car. The window ends at
 * lap t, so "bidirectional" reads the past window both ways, never a later lap.
 * Attention from standard layers (they train on wasm and serialise without custom
 * classes): dense score per step → softmax over time → dot with the LSTM states.
 * Three sigmoid outputs: pit within the next 1, 3 and 5 laps.
 */
export interface PitModelOptions {
  window: number;
  units: number;
  hidden: number;
  seed?: number;
}

export const defaultModelOptions: PitModelOptions = { window: 12, units: 24, hidden: 32 };

export function buildPitModel(o: PitModelOptions): tf.LayersModel {
  const seed = o.seed ?? 7;
  const input = tf.input({ shape: [o.window, featureCount], name: 'laps' });
  const states = tf.layers
    .bidirectional({
      layer: tf.layers.lstm({ units: o.units, returnSequences: true, kernelInitializer: tf.initializers.glorotUniform({ seed }) }),
      mergeMode: 'concat',
      name: 'bilstm',
    })
    .apply(input) as tf.SymbolicTensor;
  const scores = tf.layers.dense({ units: 1, activation: 'tanh', name: 'attention_score', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(states) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: 'attention_flat' }).apply(scores) as tf.SymbolicTensor;
  const weights = tf.layers.softmax({ name: 'attention_weights' }).apply(flat) as tf.SymbolicTensor;
  const context = tf.layers.dot({ axes: [1, 1], name: 'attention_context' }).apply([weights, states]) as tf.SymbolicTensor;
  // The current lap's features (lap t, the window's last step) straight to the head too.
  const current = tf.input({ shape: [featureCount], name: 'current_lap' });
  const joined = tf.layers.concatenate({ name: 'joined' }).apply([context, current]) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({ units: o.hidden, activation: 'relu', name: 'hidden', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }).apply(joined) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: horizons.length, activation: 'sigmoid', name: 'pit_within', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }) }).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [input, current], outputs: output, name: 'pit_bilstm_attention' });
  model.compile({ optimizer: tf.train.adam(0.002), loss: 'binaryCrossentropy' });
  return model;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  onEpoch?: (epoch: number, loss: number, score?: number) => void;
  /**
   * Early stopping: score the model after every epoch (higher is better, e.g. PR-AUC on a
   * validation season never trained on) and keep the weights of the best epoch.
   */
  score?: (model: tf.LayersModel) => number;
}

export interface FitOutcome {
  /** 1-based epoch whose weights the model keeps. */
  epoch: number;
  /** The score of every epoch, when `score` was given. */
  scores: number[];
}

export async function fitPitModel(model: tf.LayersModel, set: WindowSet, o: FitOptions): Promise<FitOutcome> {
  const x = tf.tensor3d(set.windows, [set.n, set.w, featureCount]);
  const current = lastStep(x);
  const y = tf.tensor2d(set.targets, [set.n, horizons.length]);
  const scores: number[] = [];
  let best: { epoch: number; score: number; weights: tf.Tensor[] } | undefined;
  try {
    // One epoch per fit call (the optimizer keeps its state), so each can be scored.
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      const h = await model.fit([x, current], y, { epochs: 1, batchSize: o.batchSize, shuffle: true, verbose: 0 });
      const loss = Number(h.history.loss?.[0] ?? NaN);
      const score = o.score?.(model);
      if (score !== undefined) {
        scores.push(score);
        if (!best || score > best.score) {
          best?.weights.forEach((t) => t.dispose());
          best = { epoch: epoch + 1, score, weights: model.getWeights().map((t) => t.clone()) };
        }
      }
      o.onEpoch?.(epoch, loss, score);
    }
    if (best) model.setWeights(best.weights);
    return { epoch: best?.epoch ?? o.epochs, scores };
  } finally {
    best?.weights.forEach((t) => t.dispose());
    x.dispose();
    current.dispose();
    y.dispose();
  }
}

/** The features of lap t (the window's last step), the model's second input. */
function lastStep(x: tf.Tensor3D): tf.Tensor2D {
  const [n, w, f] = x.shape;
  return tf.tidy(() => x.slice([0, w - 1, 0], [n, 1, f]).reshape([n, f]));
}

/** Probabilities per row: [within 1, within 3, within 5]. */
export function predictPits(model: tf.LayersModel, windows: Float32Array, n: number, w: number, batch = 4096): number[][] {
  const out: number[][] = [];
  for (let from = 0; from < n; from += batch) {
    const m = Math.min(batch, n - from);
    const probs = tf.tidy(() => {
      const x = tf.tensor3d(windows.subarray(from * w * featureCount, (from + m) * w * featureCount), [m, w, featureCount]);
      return (model.predict([x, lastStep(x)]) as tf.Tensor).dataSync();
    });
    for (let r = 0; r < m; r++) out.push(horizons.map((_, j) => probs[r * horizons.length + j]!));
  }
  return out;
}

/** A trained model as plain data, for the artifact store: topology + weights + metadata. */
export interface PitModelArtifact {
  format: 'pitwall-pit-model/1';
  options: PitModelOptions;
  featureNames: string[];
  /** Decision threshold on P(pit next lap), chosen on a validation season. */
  threshold: number;
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  /** Base64 of the concatenated weights. */
  weightData: string;
  trainedOn: { seasons: number[]; rows: number; positives: number };
}

export async function serializePitModel(
  model: tf.LayersModel,
  meta: Omit<PitModelArtifact, 'format' | 'modelTopology' | 'weightSpecs' | 'weightData'>,
): Promise<PitModelArtifact> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs || !captured.weightData) throw new Error('model save produced no artifacts');
  const data = captured.weightData;
  const buffer = Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data);
  return {
    format: 'pitwall-pit-model/1',
    ...meta,
    modelTopology: captured.modelTopology as object,
    weightSpecs: captured.weightSpecs,
    weightData: buffer.toString('base64'),
  };
}

/** Whether the artifact was trained on the features this code builds (same names, same order). */
export function hasCurrentFeatures(artifact: Pick<PitModelArtifact, 'featureNames'>): boolean {
  return artifact.featureNames.join() === featureNames.join();
}

/** A stored pit model built on another feature list: never fed the current features. */
export class PitModelOutdatedError extends NotReadyError {
  constructor() {
    super('pit model predates the current features; run npx pitwall train', 3600);
  }
}

export async function loadPitModel(artifact: PitModelArtifact): Promise<tf.LayersModel> {
  if (artifact.format !== 'pitwall-pit-model/1') throw new Error(`unknown pit model format ${String(artifact.format)}`);
  if (!hasCurrentFeatures(artifact)) throw new PitModelOutdatedError();
  const bytes = Buffer.from(artifact.weightData, 'base64');
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: artifact.modelTopology, weightSpecs: artifact.weightSpecs, weightData }));
}
