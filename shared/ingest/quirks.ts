import type { CorrectedRow, PitStopRecord, WarningRow } from './records.js';

/**
 * Known data-quality quirks of the real sources, each detected by a rule (not by a list
 * of row ids) and handled explicitly. See README "Ingestion" and test/ingest/quirks.test.ts.
 */

/**
 * Ergast pit_stops rows with `stop` and `lap` swapped (2024 R8 Monaco: `1128,822,15,2`
 * means stop 2 on lap 15). Detected when a stop number is larger than the number of
 * stops the driver has in that race while its lap is not: swapping makes it consistent.
 * The fixed row is loaded and the correction recorded.
 */
export function fixSwappedPitStops(stops: PitStopRecord[]): { stops: PitStopRecord[]; corrections: CorrectedRow[] } {
  const perDriver = new Map<string, number>();
  for (const s of stops) {
    const k = `${s.season}/${s.round}/${s.driverRef}`;
    perDriver.set(k, (perDriver.get(k) ?? 0) + 1);
  }
  const corrections: CorrectedRow[] = [];
  const fixed = stops.map((s) => {
    const n = perDriver.get(`${s.season}/${s.round}/${s.driverRef}`)!;
    if (s.stop > n && s.lap <= n && s.lap >= 1) {
      const corrected = { ...s, stop: s.lap, lap: s.stop };
      corrections.push({
        table: 'pit_stops',
        raw: s,
        corrected,
        reason: `stop and lap swapped: stop ${s.stop} > the driver's ${n} stops in ${s.season} R${s.round}; loaded as stop ${s.lap} on lap ${s.stop}`,
      });
      return corrected;
    }
    return s;
  });
  return { stops: fixed, corrections };
}

/**
 * Races whose pit stops look implausible: at least half of the drivers that stopped
 * have stops on three consecutive laps (2024 R23 Qatar: nearly everyone on laps 35, 36,
 * 37). The rows are loaded as they are (no better source) and a warning recorded.
 */
export function detectImplausiblePitStops(stops: PitStopRecord[]): WarningRow[] {
  const races = new Map<string, Map<string, number[]>>();
  for (const s of stops) {
    const race = `${s.season}/${s.round}`;
    const drivers = races.get(race) ?? new Map<string, number[]>();
    drivers.set(s.driverRef, [...(drivers.get(s.driverRef) ?? []), s.lap]);
    races.set(race, drivers);
  }
  const warnings: WarningRow[] = [];
  for (const [race, drivers] of races) {
    const suspicious = [...drivers.entries()].filter(([, laps]) => laps.some((l) => laps.includes(l + 1) && laps.includes(l + 2)));
    if (suspicious.length * 2 >= drivers.size && suspicious.length >= 3) {
      const [season, round] = race.split('/').map(Number);
      warnings.push({
        table: 'pit_stops',
        raw: { season, round, drivers: Object.fromEntries(suspicious) },
        reason: `implausible pit stops in ${season} R${round}: ${suspicious.length} of ${drivers.size} drivers stop on three consecutive laps; loaded as published, treat as unreliable`,
      });
    }
  }
  return warnings;
}

/**
 * FastF1 lap numbers offset from the official ones. Compares, per race, each classified
 * finisher's last FastF1 lap with the laps in the official results:
 * - every finisher short by the same k > 0 laps (2024 R8 Monaco: the red-flagged opening
 *   lap is not counted, k = 1) → 'shift': add k to every lap of the race;
 * - finishers short by different amounts (2020 R1 Austria: 3–5 laps missing, numbering
 *   restarted at 1) → 'unalignable': the race's FastF1 laps are quarantined;
 * - anything else (no offset, or FastF1 having extra laps such as 2021 R12 Belgium,
 *   whose official distance was shortened) → 'ok'.
 */
export type LapAlignment = { kind: 'ok' } | { kind: 'shift'; by: number } | { kind: 'unalignable'; offsets: number[] };

export function lapAlignment(finishers: { officialLaps: number; sourceLastLap: number }[]): LapAlignment {
  const offsets = finishers.map((f) => f.officialLaps - f.sourceLastLap);
  if (offsets.length === 0 || offsets.every((o) => o <= 0)) return { kind: 'ok' };
  const distinct = [...new Set(offsets)];
  if (distinct.length === 1) return { kind: 'shift', by: distinct[0]! };
  if (offsets.filter((o) => o > 0).length * 2 > offsets.length) return { kind: 'unalignable', offsets: distinct.sort((a, b) => a - b) };
  return { kind: 'ok' };
}

/** A classified finisher: status 'Finished' or '+N Lap(s)'. */
export function isFinisher(status: string): boolean {
  return status === 'Finished' || /^\+\d+ Laps?$/.test(status);
}
