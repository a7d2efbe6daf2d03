import type { Compound } from '../domain/reference.js';
import { buildWindows, type WindowSet } from './dataset.js';
import { buildSequences, type CircuitInput } from './features.js';
import type { PitLap } from './labels.js';
import type { StrategyForecast } from './baselines.js';

/**
 * Pre-race strategy forecast from a lap-level pit model: roll a green-flag race forward
 * one lap at a time, asking the model for P(pit next lap). Before the start nothing of the
 * race is known but its distance, the circuit's history and the tyre the car starts on.
 *
 * - First stop: a dry race needs at least one stop (two compounds), so the first stop is
 *   the median of the model's first-stop distribution over the race, normalised to one.
 *   (A lone simulated car sees no rivals stopping, so the model's hazard level is low;
 *   its shape over the laps still says when.)
 * - Further stops: made where the chance of having stopped again passes one half.
 */
export type LapPredictor = (set: WindowSet) => number[];

const nextCompound: Record<string, Compound> = { SOFT: 'MEDIUM', MEDIUM: 'HARD', HARD: 'MEDIUM' };

export function rolloutStrategy(
  predict: LapPredictor,
  o: { totalLaps: number; startCompound: Compound; window: number; circuit?: CircuitInput },
): StrategyForecast & { stopLaps: number[] } {
  const stopLaps: number[] = [];
  const history: PitLap[] = [];
  let compound: Compound = o.startCompound;
  let stint = 1;
  let from = 1;
  while (from < o.totalLaps) {
    // Hazards of stopping at the end of lap t+1, for t = from..end, with no stop made.
    const { hazards, laps } = stintHazards(predict, o, history, from, compound, stint, from === 1 ? 0 : stopLaps.at(-1)!);
    let stopAt: number | undefined;
    if (stopLaps.length === 0) {
      const firstAt = hazards.map((h, i) => h * hazards.slice(0, i).reduce((s, x) => s * (1 - x), 1));
      const total = firstAt.reduce((a, b) => a + b, 0);
      let cum = 0;
      for (let i = 0; i < firstAt.length && total > 0; i++) {
        cum += firstAt[i]! / total;
        if (cum >= 0.5) {
          stopAt = from + i + 1;
          break;
        }
      }
    } else {
      let survival = 1;
      for (let i = 0; i < hazards.length; i++) {
        survival *= 1 - hazards[i]!;
        if (survival < 0.5) {
          stopAt = from + i + 1;
          break;
        }
      }
    }
    if (stopAt === undefined || stopAt >= o.totalLaps) break;
    history.push(...laps.filter((l) => l.lap < stopAt), { ...laps.find((l) => l.lap === stopAt)!, pitIn: true, pitStop: true });
    stopLaps.push(stopAt);
    compound = nextCompound[compound] ?? 'HARD';
    stint++;
    from = stopAt + 1;
  }
  return { stops: stopLaps.length, firstStopLap: stopLaps[0] ?? o.totalLaps, stopLaps };
}

function stintHazards(
  predict: LapPredictor,
  o: { totalLaps: number; window: number; circuit?: CircuitInput },
  before: PitLap[],
  from: number,
  compound: Compound,
  stint: number,
  lastStop: number,
): { hazards: number[]; laps: PitLap[] } {
  const laps: PitLap[] = [];
  for (let lap = from; lap <= o.totalLaps; lap++) {
    const tyreLife = lap - lastStop;
    laps.push({
      raceId: 0, driverId: 0, lap, position: 10, timeMs: 90_000 + 60 * tyreLife, compound, stint, tyreLife, freshTyre: true,
      trackStatus: '1', pitIn: false, pitOut: lap === from && from > 1, pitStop: false, sources: ['rollout'],
    });
  }
  const seqs = buildSequences({
    raceId: 0,
    totalLaps: o.totalLaps,
    laps: [...before, ...laps, ...rivals(o)],
    teams: new Map([[0, 0]]),
    ...(o.circuit ? { circuit: o.circuit } : {}),
  }).filter((s) => s.driverId === 0);
  const set = buildWindows(seqs, o.window);
  // Rows for laps from..end−1 (each names lap t+1); the windows only read laps ≤ t.
  const rows = set.keys.map((k, i) => [k.lap, i] as const).filter(([lap]) => lap >= from);
  const p = predict(subset(set, rows.map(([, i]) => i)));
  return { hazards: p, laps };
}

/**
 * The rest of the field, so the car sees rivals stopping as it would in a race: 19 cars
 * whose stops spread ±4 laps around the circuit's usual first stop and stint (earlier
 * seasons), or 40% of the distance without history.
 */
function rivals(o: { totalLaps: number; circuit?: CircuitInput }): PitLap[] {
  const first = o.circuit?.medianFirstStop ?? Math.round(o.totalLaps * 0.4);
  const stint = o.circuit?.medianStint ?? Math.round(o.totalLaps * 0.4);
  const stops = Math.max(1, Math.round(o.circuit?.medianStops ?? 1));
  const out: PitLap[] = [];
  for (let d = 1; d <= 19; d++) {
    const shift = Math.round(((d - 10) / 9) * 4);
    const stopLaps = Array.from({ length: stops }, (_, k) => Math.round(first + shift + k * stint)).filter((l) => l >= 1 && l < o.totalLaps);
    let last = 0;
    for (let lap = 1; lap <= o.totalLaps; lap++) {
      const stint = stopLaps.filter((s) => s < lap).length + 1;
      out.push({
        raceId: 0, driverId: 100 + d, lap, position: null, timeMs: 90_000 + 60 * (lap - last), compound: 'MEDIUM', stint, tyreLife: lap - last,
        freshTyre: true, trackStatus: '1', pitIn: stopLaps.includes(lap), pitOut: stopLaps.includes(lap - 1), pitStop: stopLaps.includes(lap), sources: ['rollout'],
      });
      if (stopLaps.includes(lap)) last = lap;
    }
  }
  return out;
}

function subset(set: WindowSet, rows: number[]): WindowSet {
  const size = set.windows.length / set.n;
  const h = set.targets.length / set.n;
  const windows = new Float32Array(rows.length * size);
  const targets = new Float32Array(rows.length * h);
  rows.forEach((r, i) => {
    windows.set(set.windows.subarray(r * size, (r + 1) * size), i * size);
    targets.set(set.targets.subarray(r * h, (r + 1) * h), i * h);
  });
  return { n: rows.length, w: set.w, windows, targets, keys: rows.map((r) => set.keys[r]!) };
}
