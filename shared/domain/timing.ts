import type { Lap } from './reference.js';

/**
 * A time as F1 timing text writes it, in milliseconds: the one parser for lap times (the
 * dump's qualifying q1–q3, Jolpica's Q1–Q3 and lap timings), pit-stop durations and race
 * times. The grammar covers what the data has: `ss.fff` (pit stop '26.898'), `m:ss.fff`
 * ('1:26.572', '16:42.640' for a red-flagged qualifying lap) and `h:mm:ss.fff` (a race time
 * '1:34:50.616'), with any number of decimals or none ('1:34:42.1', '1:05.0421'), rounded to
 * the millisecond. Minutes and seconds after a colon must be below 60.
 *
 * No time: null for an empty value (the dump's 46 `q3` and 22 `q2` written as ""), the dump's
 * `\N`, a gap to the winner ('+5.478', which is no clock time), anything else the grammar does
 * not cover, and zero (a lap, stop or race takes time; the database refuses q*_ms ≤ 0).
 */
const TIMING = /^(?:(?:(\d+):)?(\d{1,2}):)?(\d+)(?:\.(\d+))?$/;

export function timingMs(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = TIMING.exec(text.trim());
  if (!m) return null;
  const [, hours, minutes, seconds, fraction] = m;
  if (minutes !== undefined && Number(seconds) >= 60) return null;
  if (hours !== undefined && Number(minutes) >= 60) return null;
  if (minutes !== undefined && seconds!.length !== 2) return null;
  const ms =
    (Number(hours ?? 0) * 3600 + Number(minutes ?? 0) * 60 + Number(seconds)) * 1000 + Math.round(Number(`0.${fraction ?? '0'}`) * 1000);
  return ms > 0 ? ms : null;
}

/** Each lap's field median lap time (the upper one of an even count), over the cars that have a time for it. */
export function fieldLapMedians(laps: readonly Pick<Lap, 'lap' | 'timeMs'>[]): Map<number, number> {
  const byLap = new Map<number, number[]>();
  for (const l of laps) if (l.timeMs) byLap.set(l.lap, [...(byLap.get(l.lap) ?? []), l.timeMs]);
  return new Map([...byLap].map(([lap, ts]) => [lap, [...ts].sort((a, b) => a - b)[ts.length >> 1]!]));
}
