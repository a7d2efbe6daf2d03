import type { OpenF1Lap, OpenF1Pit, OpenF1Session, OpenF1Stint } from '../../clients/openf1-schemas.js';
import type { LapRecord, RejectedRow } from '../records.js';

/**
 * OpenF1 race-session data → one lap record per (driver, lap), source 'openf1':
 * - laps: lap time, pit-out flag;
 * - stints: compound, stint number, tyre life (FastF1's convention, as the lap-file
 *   reader: a new set is 1 on its first lap; a boundary lap shared by two stints stays
 *   with the earlier one, it is the in-lap);
 * - pit: the in-lap of each stop (OpenF1 lap_number is the lap the car entered the pit
 *   lane on, as Ergast's pit_stops.lap) → pitIn; laps without a stop → pitIn false.
 * Cars are mapped by car number onto the race's entrants; an unknown number is rejected
 * with its reason (the loader quarantines it).
 */

export interface RaceRef {
  season: number;
  round: number;
}

export interface RaceDay extends RaceRef {
  /** Race date (YYYY-MM-DD) as in races.date. */
  date: string;
}

/** The race a Race session belongs to: same season, race date within a day of the session start (UTC). */
export function raceForSession(session: OpenF1Session, races: readonly RaceDay[]): RaceRef | undefined {
  if (session.session_name !== 'Race') return undefined;
  const start = Date.parse(session.date_start.slice(0, 10));
  const day = 86_400_000;
  const near = races.filter((r) => r.season === session.year && Math.abs(Date.parse(r.date) - start) <= day);
  near.sort((a, b) => Math.abs(Date.parse(a.date) - start) - Math.abs(Date.parse(b.date) - start));
  const race = near[0];
  return race ? { season: race.season, round: race.round } : undefined;
}

export function openf1LapRecords(
  race: RaceRef,
  driverByNumber: ReadonlyMap<number, string>,
  data: { laps?: OpenF1Lap[]; stints?: OpenF1Stint[]; pits?: OpenF1Pit[] },
): { laps: LapRecord[]; rejected: RejectedRow[] } {
  const records = new Map<string, LapRecord>();
  const rejected: RejectedRow[] = [];
  const unknownCar = (raw: unknown, n: number) =>
    rejected.push({ table: 'laps', raw, reason: `openf1: no car #${n} among the entrants of ${race.season} R${race.round}` });
  const at = (driverRef: string, lap: number): LapRecord => {
    const key = `${driverRef}/${lap}`;
    let r = records.get(key);
    if (!r) records.set(key, (r = { season: race.season, round: race.round, driverRef, lap, source: 'openf1' }));
    return r;
  };

  for (const l of data.laps ?? []) {
    const driverRef = driverByNumber.get(l.driver_number);
    if (!driverRef) {
      unknownCar(l, l.driver_number);
      continue;
    }
    const r = at(driverRef, l.lap_number);
    r.timeMs = l.lap_duration ? Math.round(l.lap_duration * 1000) : null;
    r.pitOut = l.is_pit_out_lap ?? null;
  }

  const lastLap = new Map<number, number>();
  const stints = [...(data.stints ?? [])].sort((a, b) => a.driver_number - b.driver_number || a.stint_number - b.stint_number);
  for (const s of stints) {
    const driverRef = driverByNumber.get(s.driver_number);
    if (!driverRef) {
      unknownCar(s, s.driver_number);
      continue;
    }
    if (s.lap_start === null || s.lap_end === null || s.lap_end < s.lap_start) {
      rejected.push({ table: 'laps', raw: s, reason: `openf1: stint without a valid lap range (${s.lap_start}–${s.lap_end})` });
      continue;
    }
    const first = Math.max(s.lap_start, (lastLap.get(s.driver_number) ?? 0) + 1);
    lastLap.set(s.driver_number, Math.max(s.lap_end, lastLap.get(s.driver_number) ?? 0));
    for (let lap = first; lap <= s.lap_end; lap++) {
      const r = at(driverRef, lap);
      // Upper-cased; a value outside the loader's compound list is quarantined there.
      r.compound = (s.compound?.toUpperCase() ?? null) as LapRecord['compound'];
      r.stint = s.stint_number;
      r.tyreLife = s.tyre_age_at_start === null ? null : s.tyre_age_at_start + (lap - s.lap_start) + 1;
    }
  }

  // No pit rows at all is no data (every race has stops), not "nobody pitted": pit-ins stay unknown.
  if (data.pits?.length) {
    const pitLaps = new Set<string>();
    for (const p of data.pits) {
      const driverRef = driverByNumber.get(p.driver_number);
      if (!driverRef) {
        unknownCar(p, p.driver_number);
        continue;
      }
      pitLaps.add(`${driverRef}/${p.lap_number}`);
      at(driverRef, p.lap_number).pitIn = true;
    }
    for (const [key, r] of records) if (!pitLaps.has(key)) r.pitIn = false;
  }
  return { laps: [...records.values()], rejected };
}
