import { tf } from '../tf.js';

/**
 * The network: standardised features (+ a missing-value indicator per feature) → a
 * strength (the Plackett–Luce log-weight) and a DNF logit per driver. Small on purpose:
 * ~2–3k races of training data.
 */
export function buildNetwork(inputSize: number, hidden = 16, seed = 7): tf.LayersModel {
  const input = tf.input({ shape: [inputSize] });
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  const h = tf.layers.dense({ units: hidden, activation: 'tanh', kernelInitializer: init(0), name: 'hidden' }).apply(input) as tf.SymbolicTensor;
  const strength = tf.layers.dense({ units: 1, kernelInitializer: init(1), name: 'strength' }).apply(h) as tf.SymbolicTensor;
  const dnf = tf.layers.dense({ units: 1, kernelInitializer: init(2), name: 'dnf' }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.concatenate({ name: 'outputs' }).apply([strength, dnf]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'race_model' });
}

export interface TrainingTensors {
  /** [races, slots, inputSize]: each race's entrants, finishers first in finishing order. */
  x: Float32Array;
  /** [races, slots]: 1 for a classified finisher (the Plackett–Luce terms). */
  finisher: Float32Array;
  /** [races, slots]: 1 for a starter (the DNF terms). */
  starter: Float32Array;
  /** [races, slots]: 1 when the starter did not finish. */
  dnf: Float32Array;
  races: number;
  slots: number;
  inputSize: number;
}

/**
 * Negative Plackett–Luce log-likelihood of each race's finishing order, plus the DNF
 * cross-entropy. For finisher k: log P = s_k − logsumexp(s_j, j ≥ k among finishers).
 */
function loss(net: tf.LayersModel, l2: number, t: TrainingTensors, x: tf.Tensor, fin: tf.Tensor, terms: tf.Tensor, st: tf.Tensor, dnf: tf.Tensor, upper: tf.Tensor) {
  return tf.tidy(() => {
    const out = (net.apply(x) as tf.Tensor).reshape([t.races, t.slots, 2]);
    const s = out.slice([0, 0, 0], [-1, -1, 1]).squeeze([2]);
    const dl = out.slice([0, 0, 1], [-1, -1, 1]).squeeze([2]);
    const m = upper.expandDims(0).mul(fin.expandDims(1)); // [R, k, j]
    const logits = s.expandDims(1).add(m.sub(1).mul(1e9));
    const lse = logits.logSumExp(2);
    const pl = terms.mul(s.sub(lse)).sum().div(terms.sum()).neg();
    const bce = tf.losses.sigmoidCrossEntropy(dnf, dl, st);
    const kernels = net.trainableWeights.filter((w) => w.name.includes('kernel')).map((w) => w.read().square().sum());
    const reg = tf.addN(kernels).mul(l2);
    return pl.add(bce).add(reg) as tf.Scalar;
  });
}

export async function trainNetwork(
  t: TrainingTensors,
  {
    epochs = 300,
    learningRate = 0.02,
    // Chosen on the 2019–2021 validation backtest (1e-4, 1e-3, 3e-3, 1e-2, 2e-2, 3e-2): less overfits, more blunts the order.
    l2 = 1e-2,
    hidden = 16,
    topK = 10,
    seed = 7,
    onEpoch,
  }: {
    epochs?: number;
    learningRate?: number;
    l2?: number;
    hidden?: number;
    /** Only the first topK places contribute Plackett–Luce terms (top-K PL): the back of the field is mostly noise. */
    topK?: number;
    seed?: number;
    onEpoch?: (e: number, loss: number) => void;
  } = {},
): Promise<tf.LayersModel> {
  const net = buildNetwork(t.inputSize, hidden, seed);
  const x = tf.tensor2d(t.x, [t.races * t.slots, t.inputSize]);
  const fin = tf.tensor2d(t.finisher, [t.races, t.slots]);
  const st = tf.tensor2d(t.starter, [t.races, t.slots]);
  const dnf = tf.tensor2d(t.dnf, [t.races, t.slots]);
  const upper = tf.tidy(() => tf.linalg.bandPart(tf.ones([t.slots, t.slots]), 0, -1));
  const terms = tf.tidy(() => fin.mul(tf.range(0, t.slots).less(topK).cast('float32').expandDims(0)));
  const optimizer = tf.train.adam(learningRate);
  try {
    for (let e = 0; e < epochs; e++) {
      const l = optimizer.minimize(() => loss(net, l2, t, x, fin, terms, st, dnf, upper), true, net.trainableWeights.map((w) => w.read() as tf.Variable));
      if (onEpoch && (e % 10 === 0 || e === epochs - 1)) onEpoch(e, (await l!.data())[0]!);
      l?.dispose();
    }
  } finally {
    tf.dispose([x, fin, terms, st, dnf, upper]);
    optimizer.dispose();
  }
  return net;
}
