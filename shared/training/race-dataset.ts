import { isDnf } from '../domain/race-outcome.js';
import { postQualifyingFreeze } from '../domain/history.js';
import { computeRaceFeatures, featureNames, type HistoryIndex, type RaceFeatures } from '../features/race-features.js';
import { encodeDriver, type RaceModelSpec } from '../models/race/race-model.js';
import type { TrainingTensors } from '../models/race/network.js';

/** A race's features (as of its post-qualifying freeze) joined with its result. */
export interface RaceExample {
  raceId: number;
  season: number;
  features: RaceFeatures;
  /** Per entrant (features order): finishing position order, classified or not; null = no result row. */
  outcome: ({ positionOrder: number; classified: boolean } | null)[];
}

/** Features depend only on history, not on the model: compute each race once and reuse. */
export function createFeatureCache(ix: HistoryIndex): (raceId: number) => RaceFeatures {
  const cache = new Map<number, RaceFeatures>();
  return (raceId) => {
    let f = cache.get(raceId);
    if (!f) {
      const race = ix.races.get(raceId)!;
      f = computeRaceFeatures(ix, raceId, postQualifyingFreeze(race));
      cache.set(raceId, f);
    }
    return f;
  };
}

export function buildExample(ix: HistoryIndex, features: RaceFeatures): RaceExample {
  const rows = new Map((ix.byRace.get(features.raceId) ?? []).map((r) => [r.driverId, r]));
  return {
    raceId: features.raceId,
    season: ix.races.get(features.raceId)!.season,
    features,
    outcome: features.drivers.map((d) => {
      const r = rows.get(d.driverId);
      return r ? { positionOrder: r.positionOrder, classified: !isDnf(r) } : null;
    }),
  };
}

/** Races with results and a qualifying-based entry list. */
export const usableExample = (e: RaceExample) => e.features.drivers.length >= 2 && e.outcome.filter((o) => o?.classified).length >= 2;

export function toTensors(examples: readonly RaceExample[], spec: Pick<RaceModelSpec, 'normalisation'>): TrainingTensors {
  const slots = Math.max(...examples.map((e) => e.features.drivers.length));
  const inputSize = featureNames.length * 2;
  const R = examples.length;
  const x = new Float32Array(R * slots * inputSize);
  const finisher = new Float32Array(R * slots);
  const starter = new Float32Array(R * slots);
  const dnf = new Float32Array(R * slots);
  examples.forEach((e, r) => {
    // Finishers first in finishing order (the Plackett–Luce terms need that order), then the rest.
    const order = e.features.drivers
      .map((_, i) => i)
      .sort((a, b) => rank(e.outcome[a]) - rank(e.outcome[b]));
    order.forEach((i, slot) => {
      const o = e.outcome[i];
      const k = r * slots + slot;
      x.set(encodeDriver(spec, e.features.drivers[i]!.values).input, k * inputSize);
      if (o) {
        starter[k] = 1;
        if (o.classified) finisher[k] = 1;
        else dnf[k] = 1;
      }
    });
  });
  return { x, finisher, starter, dnf, races: R, slots, inputSize };
}

function rank(o: RaceExample['outcome'][number] | undefined): number {
  if (!o) return 1e6;
  return (o.classified ? 0 : 1e3) + o.positionOrder;
}
