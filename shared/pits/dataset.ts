import { featureCount, windowAt, type DriverSequence } from './features.js';
import { pitsWithin } from './labels.js';

/** The horizons the model forecasts: pit within the next 1, 3 and 5 laps. */
export const horizons = [1, 3, 5] as const;

/** Windows of every lap t that has a lap t+1 to label, as flat arrays for tensors. */
export interface WindowSet {
  n: number;
  w: number;
  /** n × w × featureCount */
  windows: Float32Array;
  /** n × horizons.length (0/1) */
  targets: Float32Array;
  /** Per row: which race, driver and lap t. */
  keys: { raceId: number; driverId: number; lap: number }[];
}

export function buildWindows(sequences: DriverSequence[], w: number): WindowSet {
  const keys: WindowSet['keys'] = [];
  const rows: { seq: DriverSequence; index: number }[] = [];
  for (const seq of sequences) {
    for (let i = 0; i < seq.laps.length - 1; i++) {
      // The label needs lap t+1 to have been driven by this car.
      if (seq.laps[i + 1] !== seq.laps[i]! + 1) continue;
      rows.push({ seq, index: i });
      keys.push({ raceId: seq.raceId, driverId: seq.driverId, lap: seq.laps[i]! });
    }
  }
  const windows = new Float32Array(rows.length * w * featureCount);
  const targets = new Float32Array(rows.length * horizons.length);
  rows.forEach(({ seq, index }, r) => {
    windows.set(windowAt(seq, index, w), r * w * featureCount);
    horizons.forEach((k, j) => (targets[r * horizons.length + j] = pitsWithin(seq.labels[index]!, k) ? 1 : 0));
  });
  return { n: rows.length, w, windows, targets, keys };
}

/** The pit-next label (horizon 1) of every row. */
export function pitNextLabels(set: WindowSet): number[] {
  return Array.from({ length: set.n }, (_, r) => set.targets[r * horizons.length]!);
}
