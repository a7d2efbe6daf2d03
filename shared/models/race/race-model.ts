import type { DriverForecast } from '../../domain/forecast.js';
import type { RaceFeatures } from '../../features/race-features.js';
import { tf } from '../tf.js';
import { sigmoid, type Platt } from './calibrate.js';
import type { SlotTable } from './baselines.js';
import type { GapTable } from './gap-table.js';
import { simulateRace, type SimulatedDriver } from './simulate.js';

/** Everything besides the network weights that a prediction needs; stored beside model.json. */
export interface RaceModelSpec {
  kind: 'race';
  formatVersion: 1;
  featureNames: string[];
  /** Training-set mean and standard deviation of each feature (missing values excluded). */
  normalisation: { mean: number[]; std: number[] };
  temperature: number;
  dnfCalibration: Platt;
  /** The simulation's bad-race probability (see simulateRace); absent = 0. */
  badRace?: number;
  gapTable: GapTable;
  /** Quantile levels of the gap interval, calibrated on held-out races to cover 80%. */
  gapInterval?: [number, number];
  /** The grid-slot lookup over the same training races: the pool's grid terms (pooled-model.ts). */
  slotTable?: SlotTable;
  samples: number;
}

export interface RaceModel {
  spec: RaceModelSpec;
  net: tf.LayersModel;
}

/** Standardised values (missing → the training mean, i.e. 0) followed by missing indicators. */
export function encodeDriver(spec: Pick<RaceModelSpec, 'normalisation'>, values: readonly (number | null)[]): { input: number[]; imputed: number } {
  const { mean, std } = spec.normalisation;
  let imputed = 0;
  const z = values.map((v, j) => {
    if (v === null || !Number.isFinite(v)) {
      imputed++;
      return 0;
    }
    return (v - mean[j]!) / (std[j]! || 1);
  });
  return { input: [...z, ...values.map((v) => (v === null ? 1 : 0))], imputed };
}

export function fitNormalisation(rows: readonly (readonly (number | null)[])[], width: number): RaceModelSpec['normalisation'] {
  const mean: number[] = [];
  const std: number[] = [];
  for (let j = 0; j < width; j++) {
    const xs = rows.map((r) => r[j]).filter((v): v is number => v !== null && v !== undefined && Number.isFinite(v));
    const m = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
    const v = xs.length ? xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length : 1;
    mean.push(m);
    std.push(Math.sqrt(v) || 1);
  }
  return { mean, std };
}

/** Raw network outputs (strength, DNF logit) for a race's drivers, uncalibrated. */
export function rawOutputs(model: RaceModel, features: RaceFeatures): { strength: number[]; dnfLogit: number[]; imputed: number[] } {
  const enc = features.drivers.map((d) => encodeDriver(model.spec, d.values));
  if (enc.length === 0) return { strength: [], dnfLogit: [], imputed: [] };
  const out = tf.tidy(() => (model.net.predict(tf.tensor2d(enc.map((e) => e.input))) as tf.Tensor).arraySync() as number[][]);
  return { strength: out.map((o) => o[0]!), dnfLogit: out.map((o) => o[1]!), imputed: enc.map((e) => e.imputed) };
}

/** Per-driver forecast: calibrated strengths and DNF probabilities pushed through the simulation. */
export function predictRace(model: RaceModel, features: RaceFeatures, seed = features.seed): DriverForecast[] {
  const { strength, dnfLogit, imputed } = rawOutputs(model, features);
  const { temperature, badRace, dnfCalibration: c, gapTable, samples, featureNames, gapInterval } = model.spec;
  const sim = simulateRace({
    ...(gapInterval ? { gapInterval } : {}),
    strengths: strength.map((s) => s / temperature),
    pDnf: dnfLogit.map((z) => sigmoid(c.a * z + c.b)),
    gapTable,
    samples,
    seed,
    ...(badRace ? { badRace } : {}),
  });
  return driverForecasts(features, sim, imputed, featureNames.length);
}

/** The simulation's per-driver output as the forecast entries of a race (features order). */
export function driverForecasts(features: RaceFeatures, sim: readonly SimulatedDriver[], imputed: readonly number[], featureCount: number): DriverForecast[] {
  return features.drivers.map((d, i) => {
    const s = sim[i]!;
    return {
      driverId: d.driverId,
      constructorId: d.constructorId,
      predictedPosition: s.predictedPosition,
      expectedPosition: s.expectedPosition,
      medianPosition: s.medianPosition,
      pWin: s.pWin,
      pPodium: s.pPodium,
      pPoints: s.pTop10,
      pDnf: s.pDnf,
      gapSeconds: s.gapSeconds,
      gapLowSeconds: s.gapLowSeconds,
      gapHighSeconds: s.gapHighSeconds,
      featureCoverage: 1 - imputed[i]! / featureCount,
      imputedCount: imputed[i]!,
    };
  });
}
