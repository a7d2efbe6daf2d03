import type { Lap } from '../domain/reference.js';
import { derivePitStops } from '../ingest/pit-flags.js';
import { lapAlignment } from '../ingest/quirks.js';

/**
 * Clean pit-stop labels. A stop is a lap at whose end the car came in AND changed tyres:
 * pit-lane passes under safety car with the same set, red-flag tyre changes and the
 * post-race pit entry are not stops. Ingest stores that verdict in laps.pit_stop; where
 * it is missing (live laps posted to the endpoint, older rows) the same rules are applied
 * here, so training and serving see one definition.
 */
export type PitLap = Lap & { pitStop?: boolean | null };

/** Stop laps of ONE driver in ONE race, ascending. */
export function stopLaps(laps: PitLap[]): number[] {
  const needsDerivation = laps.some((l) => l.pitStop == null);
  const derived = needsDerivation ? derivePitStops(laps) : undefined;
  const out: number[] = [];
  for (const l of laps) {
    const isStop = l.pitStop ?? derived?.get(l.lap)?.pitStop ?? false;
    if (isStop) out.push(l.lap);
  }
  return out.sort((a, b) => a - b);
}

export interface LapLabels {
  /** The car pits at the end of lap t+1. */
  pitNext: boolean;
  /** Laps from t to the next stop (1 = the next lap), null when it does not stop again. */
  lapsToNextStop: number | null;
}

export function labelsAt(stops: number[], t: number): LapLabels {
  const next = stops.find((s) => s > t);
  return { pitNext: next === t + 1, lapsToNextStop: next === undefined ? null : next - t };
}

/** Whether the car stops within the next k laps of t (laps t+1..t+k). */
export function pitsWithin(labels: LapLabels, k: number): boolean {
  return labels.lapsToNextStop !== null && labels.lapsToNextStop <= k;
}

/**
 * Lap numbering check for one race against the official classification: source lap
 * numbers that are low by the same k for every finisher (2024 Monaco, k = 1) are shifted;
 * offsets that differ between finishers (2020 Austria) cannot be aligned and the race is
 * left out. Ingest already shifts the first kind; running the check again on what the
 * database returns makes the dataset safe against rows loaded before that fix.
 */
export type RaceLapCheck = { use: true; laps: PitLap[]; shiftedBy: number } | { use: false; reason: string };

export function alignRaceLaps(laps: PitLap[], finishers: { driverId: number; officialLaps: number }[]): RaceLapCheck {
  const lastLap = new Map<number, number>();
  for (const l of laps) lastLap.set(l.driverId, Math.max(lastLap.get(l.driverId) ?? 0, l.lap));
  const alignment = lapAlignment(
    finishers
      .filter((f) => lastLap.has(f.driverId))
      .map((f) => ({ officialLaps: f.officialLaps, sourceLastLap: lastLap.get(f.driverId)! })),
  );
  if (alignment.kind === 'ok') return { use: true, laps, shiftedBy: 0 };
  if (alignment.kind === 'shift') return { use: true, laps: laps.map((l) => ({ ...l, lap: l.lap + alignment.by })), shiftedBy: alignment.by };
  return { use: false, reason: `lap numbers offset by ${alignment.offsets.join('/')} laps from the official classification` };
}
