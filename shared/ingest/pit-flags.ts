/**
 * Which laps end in a real pit stop (the car came in AND changed tyres). Lap data marks
 * every pit-lane entry (`pitIn`), but two kinds of entry are not pit stops:
 *
 * - pit-lane passes under safety car with no tyre change: FastF1 starts a new Stint,
 *   yet the next lap carries the same Compound and TyreLife goes on counting
 *   (e.g. 2025 Canada laps 66–69);
 * - tyre changes during a red flag (TrackStatus contains '5'): cars are in the pit lane
 *   but the change is free and not a stop (2021 R12 Belgium, 2022 R7 Monaco).
 *
 * A pit-in on the driver's last lap is a retirement or the post-race pit entry, not a stop.
 * Where the source has no pit flags (Ergast lap times + OpenF1 stints), a stint change
 * with a tyre change marks the previous lap as the stop lap.
 *
 * `pitIn`/`pitOut` keep the raw source values; the result goes to laps.pit_stop, which the
 * pit-stop dataset uses.
 */
export interface PitFlagLap {
  lap: number;
  compound?: string | null;
  stint?: number | null;
  tyreLife?: number | null;
  trackStatus?: string | null;
  pitIn?: boolean | null;
  pitOut?: boolean | null;
}

export type PitStopVerdict = { pitStop: boolean | null; reason?: 'pit_lane_pass' | 'red_flag' | 'last_lap' };

/** Verdict per lap of ONE driver in ONE race; `laps` in any order. */
export function derivePitStops<T extends PitFlagLap>(laps: T[]): Map<number, PitStopVerdict> {
  const byLap = [...laps].sort((a, b) => a.lap - b.lap);
  const out = new Map<number, PitStopVerdict>();
  const lastLap = byLap.at(-1)?.lap;
  for (let i = 0; i < byLap.length; i++) {
    const lap = byLap[i]!;
    const next = byLap[i + 1]?.lap === lap.lap + 1 ? byLap[i + 1] : undefined;
    if (lap.pitIn === true) {
      if (lap.lap === lastLap) out.set(lap.lap, { pitStop: false, reason: 'last_lap' });
      else if (lap.trackStatus?.includes('5') || next?.trackStatus?.includes('5')) out.set(lap.lap, { pitStop: false, reason: 'red_flag' });
      else if (next && sameTyre(lap, next)) out.set(lap.lap, { pitStop: false, reason: 'pit_lane_pass' });
      else out.set(lap.lap, { pitStop: true });
    } else if (lap.pitIn === false) {
      out.set(lap.lap, { pitStop: false });
    } else if (next && lap.stint != null && next.stint != null) {
      // No pit flags from the source: infer from the stints.
      out.set(lap.lap, { pitStop: next.stint > lap.stint && !sameTyre(lap, next) });
    } else {
      out.set(lap.lap, { pitStop: null });
    }
  }
  return out;
}

/** The next lap runs on the same set: same compound and tyre life one lap older. */
function sameTyre(lap: PitFlagLap, next: PitFlagLap): boolean {
  return (
    lap.compound != null &&
    next.compound === lap.compound &&
    lap.tyreLife != null &&
    next.tyreLife != null &&
    next.tyreLife === lap.tyreLife + 1
  );
}
