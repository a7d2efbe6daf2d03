import { featureSetId } from './features.js';
import type { TrainPitOptions } from './train.js';

/**
 * The quick pit model the local stack trains when none is usable, so the dashboard's pit
 * view has a model on a fresh clone: 2 epochs (about 2 minutes here; `pitwall train` fits
 * the job's 8). Before a replayed season S it is trained up to S−2, with S−1 held out for
 * its epoch and threshold, so it has seen nothing of S. (No tfjs import here: a ready
 * stack checks this at every start.)
 */
export function localPitTraining(defaults: TrainPitOptions, trainedBefore?: number): TrainPitOptions {
  const quick = { ...defaults, epochs: 2 };
  if (trainedBefore === undefined) return quick;
  return { ...quick, trainSeasons: [defaults.trainSeasons[0], trainedBefore - 2], thresholdSeason: trainedBefore - 1 };
}

/**
 * Whether a registered pit model may serve: trained on the features this code builds (an
 * older one would be refused at load), and for a replay of `trainedBefore` on nothing of it.
 */
export const pitModelUsableBefore = (v: { dataToSeason: number; metrics?: Record<string, unknown> }, trainedBefore?: number) =>
  v.metrics?.featureSet === featureSetId && (trainedBefore === undefined || v.dataToSeason <= trainedBefore - 2);
