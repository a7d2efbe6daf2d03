import type { TrackStatus } from '../domain/track-status.js';
import type { PitLap } from './labels.js';

/**
 * The decision point of "pit at the end of lap t+1" on the race clock (ms since the start,
 * a car's cumulative lap times): D = end of the car's lap t + its expected lap − a margin
 * for the pit entry, which comes a few seconds before the line. The expected lap is lap t's
 * time capped at the car's best lap so far: only what is known at the end of lap t places
 * D (never lap t+1's own time: an in-lap is slower, that would leak), and the cap keeps D
 * before the pit entry when lap t was slow (a safety-car or red-flag lap) and lap t+1 is
 * not. D never goes back in time from one lap to the next, so a window's earlier steps
 * (each built at its own D) use nothing after the last step's D.
 */
export const pitEntryMarginMs = 5_000;

/** A race-control track status change (live: OpenF1 race control), on the race clock. */
export interface TrackEvent {
  atMs: number;
  status: TrackStatus;
}

/** One input of a decision and the race-clock instant it became known. */
export interface TimedInput {
  what: string;
  atMs: number;
}

/** End of each lap on the race clock; a missing lap time is filled by `fill(lap)`. */
export function lapEnds(laps: PitLap[], fill: (lap: number, previousMs: number | null) => number): number[] {
  const ends: number[] = [];
  let sum = 0;
  let previous: number | null = null;
  for (const l of laps) {
    const t: number = l.timeMs ?? fill(l.lap, previous);
    sum += t;
    ends.push(sum);
    previous = t;
  }
  return ends;
}

/** D for every lap of one car (its laps ascending, `ends` from lapEnds). */
export function decisionTimes(laps: PitLap[], ends: number[], marginMs = pitEntryMarginMs): number[] {
  const out: number[] = [];
  let best = Infinity;
  let previousD = -Infinity;
  for (let i = 0; i < laps.length; i++) {
    const own = i === 0 ? ends[0]! : ends[i]! - ends[i - 1]!;
    best = Math.min(best, own);
    const expected = Math.min(own, best);
    const d = Math.max(previousD, ends[i]!, ends[i]! + expected - marginMs);
    out.push(d);
    previousD = d;
  }
  return out;
}

/** How many of the ascending `times` are ≤ at (binary search). */
export function countUpTo(times: number[], at: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The digits of a lap are in the order seen: the last one is the status at the lap's end. */
export { statusOfDigit } from '../domain/track-status.js';
