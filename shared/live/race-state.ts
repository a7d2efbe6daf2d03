import type { Lap } from '../domain/reference.js';
import { stopLaps, type PitLap } from '../pits/labels.js';
import { fieldLapMedians } from '../domain/timing.js';
import { mostSevereStatus } from '../domain/track-status.js';
import type { LiveCar, LiveRaceState, TrackStatus } from './types.js';

/**
 * The race as it stood when the leader had completed `lap` laps, from the laps table alone:
 * the live tick and the backtest both call it. Only rows with lap <= `lap` are read, so a
 * replayed race's later laps stay unseen.
 */
export interface RaceStateInput {
  raceId: number;
  totalLaps: number;
  laps: readonly (Lap | PitLap)[];
  /** driverId → constructorId: the entry list (a car with no laps yet is on it). */
  teams: ReadonlyMap<number, number>;
  /** Laps the leader has completed. */
  lap: number;
  /** Race control's word when known; else the track status of the last lap. */
  trackStatus?: TrackStatus;
}

/** A car that has not crossed the line for this many of its own laps while the leader ran on has stopped. */
const RETIRED_AFTER_LAPS = 1.6;


interface CarRun {
  driverId: number;
  laps: PitLap[];
  /** cumulative[k-1]: race time at the end of lap k. */
  cumulative: number[];
}

export function raceStateAt(input: RaceStateInput): LiveRaceState {
  const lap = Math.max(0, Math.floor(input.lap));
  const seen = (input.laps as PitLap[]).filter((l) => l.lap >= 1 && l.lap <= lap);
  // A lap without a time counts the field's median of that lap (as lapsEndedBy does).
  const medianOf = fieldLapMedians(seen);

  const byDriver = new Map<number, PitLap[]>();
  for (const l of seen) byDriver.set(l.driverId, [...(byDriver.get(l.driverId) ?? []), l]);
  const drivers = [...new Set([...input.teams.keys(), ...byDriver.keys()])];
  const runs: CarRun[] = drivers.map((driverId) => {
    const laps = (byDriver.get(driverId) ?? []).sort((a, b) => a.lap - b.lap);
    const cumulative: number[] = [];
    let t = 0;
    for (const l of laps) {
      t += l.timeMs ?? medianOf.get(l.lap) ?? 0;
      cumulative.push(t);
    }
    return { driverId, laps, cumulative };
  });
  const done = (r: CarRun) => r.laps.at(-1)?.lap ?? 0;
  const timeAt = (r: CarRun) => r.cumulative.at(-1) ?? 0;

  // Running order: laps completed, then the position the data gives at that lap, then race time.
  runs.sort((a, b) => done(b) - done(a) || (a.laps.at(-1)?.position ?? Infinity) - (b.laps.at(-1)?.position ?? Infinity) || timeAt(a) - timeAt(b));
  const leader = runs[0];
  const leaderCumulative = leader?.cumulative ?? [];
  const leaderTime = leaderCumulative.at(-1) ?? 0;
  const typicalLap = medianOf.get(lap) ?? 90_000;

  const retiredOf = (r: CarRun): boolean => {
    if (lap === 0) return false;
    // No lap yet: out once the leader has been round long enough for it to have crossed the line.
    if (r.laps.length === 0) return leaderTime > RETIRED_AFTER_LAPS * typicalLap;
    // Time since the car last crossed the line, against its own last lap (a slow lap under SC is no retirement).
    const ownLap = Math.max(typicalLap, r.laps.at(-1)!.timeMs ?? 0);
    return done(r) < lap && leaderTime - timeAt(r) > RETIRED_AFTER_LAPS * ownLap;
  };

  const running = runs.filter((r) => !retiredOf(r));
  const retired = runs.filter((r) => retiredOf(r));
  const cars: LiveCar[] = [];
  let previousGap: number | null = null;
  for (const [i, r] of [...running, ...retired].entries()) {
    const last = r.laps.at(-1);
    const isRetired = i >= running.length;
    const k = done(r);
    // Gap on the road: this car's time at the end of its lap k against the leader's at the end of lap k.
    // Never less than the car ahead's: the order is the data's, and a lap with no time (a pit
    // lap, a red flag) counts only the field's median, so a time alone can undercount.
    const gap: number | null = i === 0 || k === 0 ? null : Math.max(previousGap ?? 0, timeAt(r) - (leaderCumulative[k - 1] ?? timeAt(r)));
    const interval = isRetired || i === 0 || gap === null ? null : Math.max(0, gap - (previousGap ?? 0));
    if (!isRetired) previousGap = gap;
    cars.push({
      driverId: r.driverId,
      constructorId: input.teams.get(r.driverId) ?? null,
      position: i + 1,
      lapsCompleted: k,
      gapToLeaderMs: isRetired ? null : gap,
      intervalMs: interval,
      lastLapMs: last?.timeMs ?? null,
      compound: last?.compound ?? null,
      tyreLife: last?.tyreLife ?? null,
      stops: r.laps.length === 0 ? 0 : stopLaps(r.laps).length,
      retired: isRetired,
      compoundsUsed: [...new Set(r.laps.flatMap((l) => (l.compound && l.compound !== 'UNKNOWN' ? [l.compound] : [])))],
    });
  }
  const leaderRow = leader?.laps.find((l) => l.lap === lap) ?? seen.find((l) => l.lap === lap);
  return {
    raceId: input.raceId,
    totalLaps: input.totalLaps,
    lap,
    trackStatus: input.trackStatus ?? (lap === 0 ? 'green' : mostSevereStatus(leaderRow?.trackStatus)),
    cars,
  };
}
