import { lapEnds } from '../../shared/pits/decision-point.js';
import { median, type RaceInput } from '../../shared/pits/features.js';
import type { PitLap } from '../../shared/pits/labels.js';

/** The race clock of every row: its car's cumulative lap times (holes filled as features.ts does). */
export function rowEnds(race: RaceInput): Map<PitLap, number> {
  const byDriver = new Map<number, PitLap[]>();
  for (const l of race.laps) byDriver.set(l.driverId, [...(byDriver.get(l.driverId) ?? []), l]);
  const times = new Map<number, number[]>();
  for (const l of race.laps) if (l.timeMs) times.set(l.lap, [...(times.get(l.lap) ?? []), l.timeMs]);
  const medians = new Map([...times].map(([lap, ts]) => [lap, median(ts)]));
  const out = new Map<PitLap, number>();
  for (const laps of byDriver.values()) {
    laps.sort((a, b) => a.lap - b.lap);
    const ends = lapEnds(laps, (lap, previous) => previous ?? medians.get(lap) ?? 90_000);
    laps.forEach((l, i) => out.set(l, ends[i]!));
  }
  return out;
}

/** The race as known at car d's decision point D at its lap t: its own laps to t, other rows ended by D, race control to D. */
export function knownAt(race: RaceInput, d: number, t: number, D: number, ends = rowEnds(race)): RaceInput {
  return {
    ...race,
    laps: race.laps.filter((l) => (l.driverId === d ? l.lap <= t : ends.get(l)! <= D)),
    trackEvents: (race.trackEvents ?? []).filter((e) => e.atMs <= D),
  };
}
