import * as tf from '@tensorflow/tfjs';
import { horizons, type WindowSet } from './dataset.js';
import { featureCount, featureNames } from './features.js';

/**
 * Baselines the pit model must beat, in the same backtest run.
 *
 * 1. Tyre-life hazard: logistic regression on compound × tyre life × race progress ×
 *    track status, from the current lap only (no sequence).
 * 2. Last year's median first-stop lap at the circuit (a pre-race strategy forecast).
 */

const at = (name: (typeof featureNames)[number]) => featureNames.indexOf(name);
const compounds = ['soft', 'medium', 'hard', 'intermediate', 'wet'] as const;

/** The hazard model's design row for the current lap's feature vector. */
export function hazardDesign(f: Float32Array | number[]): number[] {
  const tl = f[at('tyreLife')]!;
  const prog = f[at('progress')]!;
  const sc = f[at('safetyCar')]!;
  const vsc = f[at('virtualSafetyCar')]!;
  const yellow = f[at('yellow')]!;
  const red = f[at('redFlag')]!;
  const row: number[] = [];
  for (const c of compounds) {
    const x = f[at(c)]!;
    row.push(x, x * tl, x * tl * tl, x * prog, x * tl * prog);
  }
  row.push(sc, vsc, yellow, red, sc * tl, vsc * tl, sc * prog, vsc * prog, prog, prog * prog);
  return row;
}
export const hazardWidth = hazardDesign(new Float32Array(featureCount)).length;

function designMatrix(set: WindowSet): Float32Array {
  const out = new Float32Array(set.n * hazardWidth);
  const stride = set.w * featureCount;
  for (let r = 0; r < set.n; r++) {
    const last = set.windows.subarray(r * stride + (set.w - 1) * featureCount, (r + 1) * stride);
    out.set(hazardDesign(last), r * hazardWidth);
  }
  return out;
}

export interface HazardModel {
  /** P(pit within 1, 3, 5 laps) per row. */
  predict(set: WindowSet): number[][];
  dispose(): void;
}

export async function fitHazardModel(set: WindowSet, epochs = 8): Promise<HazardModel> {
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [hazardWidth], units: horizons.length, activation: 'sigmoid', kernelInitializer: 'zeros' })],
  });
  model.compile({ optimizer: tf.train.adam(0.02), loss: 'binaryCrossentropy' });
  const x = tf.tensor2d(designMatrix(set), [set.n, hazardWidth]);
  const y = tf.tensor2d(set.targets, [set.n, horizons.length]);
  try {
    await model.fit(x, y, { epochs, batchSize: 1024, shuffle: true, verbose: 0 });
  } finally {
    x.dispose();
    y.dispose();
  }
  return {
    predict(s) {
      const probs = tf.tidy(() => (model.predict(tf.tensor2d(designMatrix(s), [s.n, hazardWidth])) as tf.Tensor).dataSync());
      return Array.from({ length: s.n }, (_, r) => horizons.map((_, j) => probs[r * horizons.length + j]!));
    },
    dispose: () => model.dispose(),
  };
}

/** What a pre-race strategy forecast says for one driver. */
export interface StrategyForecast {
  stops: number;
  firstStopLap: number;
}

export interface PastRaceStops {
  season: number;
  circuitId: number;
  /** Per driver who made at least one stop: stop laps. */
  stopsByDriver: number[][];
}

const medianOf = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Last year's median at the circuit: number of stops and first-stop lap of every
 * driver that stopped there the season before. Undefined when the circuit was not raced
 * the year before (the baseline then has no forecast; the report counts coverage).
 */
export function lastYearCircuitMedian(history: PastRaceStops[], season: number, circuitId: number): StrategyForecast | undefined {
  const last = history.filter((h) => h.season === season - 1 && h.circuitId === circuitId);
  const drivers = last.flatMap((h) => h.stopsByDriver).filter((s) => s.length > 0);
  if (drivers.length === 0) return undefined;
  return { stops: Math.round(medianOf(drivers.map((s) => s.length))), firstStopLap: medianOf(drivers.map((s) => s[0]!)) };
}
