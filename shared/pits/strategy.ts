import type { Compound } from '../domain/reference.js';
import { buildWindows, type WindowSet } from './dataset.js';
import { buildSequences, type CircuitPitHistory } from './features.js';
import type { PitLap } from './labels.js';
import type { StrategyForecast } from './baselines.js';

/**
 * Pre-race strategy forecast from a lap-level pit model: roll a green-flag race forward
 * one lap at a time, asking the model for P(pit next lap); when the chance of having
 * stopped in this stint passes one half, the car stops there and takes the next compound.
 * Before the start nothing of the race is known but its distance and the starting tyre
 * the team usually picks at the circuit (the previous season's most common).
 */
export type LapPredictor = (set: WindowSet) => number[];

const nextCompound: Record<string, Compound> = { SOFT: 'MEDIUM', MEDIUM: 'HARD', HARD: 'MEDIUM' };

export function rolloutStrategy(
  predict: LapPredictor,
  o: { totalLaps: number; startCompound: Compound; window: number; circuit?: CircuitPitHistory },
): StrategyForecast & { stopLaps: number[] } {
  const laps: PitLap[] = [];
  let compound: Compound = o.startCompound;
  let tyreLife = 1;
  let stint = 1;
  let survival = 1;
  const stopLaps: number[] = [];
  const lapOf = (lap: number, pitIn: boolean, pitOut: boolean): PitLap => ({
    raceId: 0, driverId: 0, lap, position: 10, timeMs: 90_000 + 60 * tyreLife, compound, stint, tyreLife, freshTyre: true,
    trackStatus: '1', pitIn, pitOut, pitStop: pitIn, sources: ['rollout'],
  });
  for (let t = 1; t < o.totalLaps; t++) {
    laps.push(lapOf(t, false, stopLaps.at(-1) === t - 1 && t > 1));
    const seqs = buildSequences({ raceId: 0, totalLaps: o.totalLaps, laps: [...laps, lapOf(t + 1, false, false)], teams: new Map([[0, 0]]), ...(o.circuit ? { circuit: o.circuit } : {}) });
    const set = buildWindows(seqs, o.window);
    const p = predict(lastRow(set, t))[0]!;
    survival *= 1 - p;
    if (survival < 0.5 && t + 1 < o.totalLaps) {
      tyreLife++;
      laps.push(lapOf(t + 1, true, false));
      stopLaps.push(t + 1);
      compound = nextCompound[compound] ?? 'HARD';
      tyreLife = 1;
      stint++;
      survival = 1;
      t++;
    } else {
      tyreLife++;
    }
  }
  return { stops: stopLaps.length, firstStopLap: stopLaps[0] ?? o.totalLaps, stopLaps };
}

/** The one row of the set whose lap is t. */
function lastRow(set: WindowSet, t: number): WindowSet {
  const r = set.keys.findIndex((k) => k.lap === t);
  const size = set.w * (set.windows.length / set.n / set.w);
  const h = set.targets.length / set.n;
  return {
    n: 1,
    w: set.w,
    windows: set.windows.slice(r * size, (r + 1) * size),
    targets: set.targets.slice(r * h, (r + 1) * h),
    keys: [set.keys[r]!],
  };
}
