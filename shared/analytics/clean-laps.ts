import { median } from '../evaluation/metrics.js';
import { mostSevereStatus, trackStatusEvents, type TrackStatus } from '../domain/track-status.js';
import type { AnalyticsLap, AnalyticsPitStop, AnalyticsRaceControl } from './inputs.js';

/**
 * The one definition of a clean lap, which race pace and tyre degradation both read. A lap
 * is clean when it has a time and
 *  - it is not lap 1 (the standing start),
 *  - it is neither an in-lap nor an out-lap (the laps' pit flags, and the pit stops table's
 *    lap and the lap after it, for laps without flags),
 *  - no safety car, virtual safety car or red flag ran during it, when that is known: from
 *    the lap's own track status (FastF1) or, for a lap without one, from the race control
 *    messages (their laps of SC/VSC/red), and
 *  - it is within 107% of the car's median such lap in the race: the robust cut that drops
 *    what the flags do not tell (an unflagged pit lap, damage, a spin, a neutralisation with
 *    no status or race control stored). The cut is applied always, not only without flags.
 */
export const CLEAN_LAP_CUT = 1.07;

export const CLEAN_LAP_DEFINITION =
  'a timed lap that is not lap 1, not an in- or out-lap, run under no safety car, VSC or red flag when known (the lap\'s track status, else race control), and within 107% of the car\'s median such lap of the race';

const neutral = (s: TrackStatus) => s === 'sc' || s === 'vsc' || s === 'red';

/**
 * The laps neutralised (SC, VSC, red) according to race control: from the lap of the message
 * that starts one through the lap of the message that ends it; one still running at the last
 * message lasts to the end. Messages without a lap take the lap of the message before them.
 */
export function neutralisedLaps(messages: readonly AnalyticsRaceControl[]): (lap: number) => boolean {
  const lapAt = new Map<string, number>();
  let lastLap: number | null = null;
  for (const m of [...messages].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
    if (m.lap != null) lastLap = m.lap;
    const at = new Date(m.at).toISOString();
    if (lastLap != null && !lapAt.has(at)) lapAt.set(at, lastLap);
  }
  const spans: [number, number][] = [];
  let from: number | null = null;
  for (const e of trackStatusEvents(messages)) {
    const lap = lapAt.get(e.at);
    if (lap === undefined) continue;
    if (neutral(e.status) && from === null) from = lap;
    else if (!neutral(e.status) && from !== null) {
      spans.push([from, lap]);
      from = null;
    }
  }
  if (from !== null) spans.push([from, Infinity]);
  return (lap) => spans.some(([a, b]) => lap >= a && lap <= b);
}

/**
 * The clean laps of one race (every car's), by the definition above. `pitStops` and
 * `raceControl` are the race's rows (either may be empty).
 */
export function cleanLaps(
  laps: readonly AnalyticsLap[],
  pitStops: readonly AnalyticsPitStop[] = [],
  raceControl: readonly AnalyticsRaceControl[] = [],
): AnalyticsLap[] {
  const pitLaps = new Set(pitStops.flatMap((s) => [`${s.driverId}/${s.lap}`, `${s.driverId}/${s.lap + 1}`]));
  const flagged = raceControl.length ? neutralisedLaps(raceControl) : () => false;
  const candidates = laps.filter(
    (l) =>
      l.timeMs != null &&
      l.lap > 1 &&
      l.pitIn !== true &&
      l.pitOut !== true &&
      !pitLaps.has(`${l.driverId}/${l.lap}`) &&
      (l.trackStatus != null && l.trackStatus !== '' ? !neutral(mostSevereStatus(l.trackStatus)) : !flagged(l.lap)),
  );
  const byCar = new Map<number, number[]>();
  for (const l of candidates) {
    if (!byCar.has(l.driverId)) byCar.set(l.driverId, []);
    byCar.get(l.driverId)!.push(l.timeMs!);
  }
  const limit = new Map([...byCar].map(([car, ts]) => [car, median(ts) * CLEAN_LAP_CUT]));
  return candidates.filter((l) => l.timeMs! <= limit.get(l.driverId)!);
}
