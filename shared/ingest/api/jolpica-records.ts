import type {
  ErgastCircuit,
  ErgastConstructor,
  ErgastDriver,
  ErgastRace,
  ErgastResult,
  ErgastStandingsList,
  InvalidRow,
} from '../../clients/jolpica-schemas.js';
import type {
  CircuitRecord,
  ConstructorRecord,
  ConstructorStandingRecord,
  DriverRecord,
  DriverStandingRecord,
  LapRecord,
  PitStopRecord,
  QualifyingRecord,
  RaceRecord,
  RecordBatch,
  RejectedRow,
  ResultRecord,
  SprintResultRecord,
  StatusRecord,
} from '../records.js';
import { timingMs } from '../../domain/timing.js';
import { detectImplausiblePitStops, fixSwappedPitStops } from '../quirks.js';

/**
 * Maps parsed Jolpica race tables onto the normalised records H1's loader validates and
 * writes. No validation here beyond what the zod envelope did: the loader's record schemas
 * are the one place a bad row is judged and quarantined with its reason.
 */

const orNull = <T>(v: T | undefined | ''): T | null => (v === undefined || v === '' ? null : v);
const timeOf = (t: string | undefined) => (t ? t : null);

export function circuitRecord(c: ErgastCircuit): CircuitRecord {
  return {
    circuitRef: c.circuitId,
    name: c.circuitName,
    location: orNull(c.Location.locality),
    country: orNull(c.Location.country),
    lat: c.Location.lat,
    lng: c.Location.long,
    url: orNull(c.url),
  };
}

export function driverRecord(d: ErgastDriver): DriverRecord {
  return {
    driverRef: d.driverId,
    number: d.permanentNumber ?? null,
    code: orNull(d.code),
    forename: d.givenName,
    surname: d.familyName,
    dob: orNull(d.dateOfBirth),
    nationality: orNull(d.nationality),
    url: orNull(d.url),
  };
}

export function constructorRecord(c: ErgastConstructor): ConstructorRecord {
  return { constructorRef: c.constructorId, name: c.name, nationality: orNull(c.nationality), url: orNull(c.url) };
}

/**
 * `sessions` is true for the schedule, which lists every session (an absent one is null);
 * a results page carries only the race's own date/time, so the session fields are left
 * out there (undefined = "this source does not say"), never overwritten with nulls.
 */
export function raceRecord(r: ErgastRace, sessions = true): RaceRecord {
  const base: RaceRecord = {
    season: r.season,
    round: r.round,
    circuitRef: r.Circuit.circuitId,
    name: r.raceName,
    date: r.date,
    time: timeOf(r.time),
    url: orNull(r.url),
  };
  if (!sessions) return base;
  return {
    ...base,
    fp1Date: r.FirstPractice?.date ?? null,
    fp1Time: timeOf(r.FirstPractice?.time),
    fp2Date: r.SecondPractice?.date ?? null,
    fp2Time: timeOf(r.SecondPractice?.time),
    fp3Date: r.ThirdPractice?.date ?? null,
    fp3Time: timeOf(r.ThirdPractice?.time),
    qualiDate: r.Qualifying?.date ?? null,
    qualiTime: timeOf(r.Qualifying?.time),
    sprintDate: r.Sprint?.date ?? null,
    sprintTime: timeOf(r.Sprint?.time),
  };
}

/** Ergast's `position` is the classification order; it is only a finishing position when positionText is numeric. */
function classification(race: ErgastRace, x: ErgastResult) {
  const finished = /^\d+$/.test(x.positionText);
  return {
    season: race.season,
    round: race.round,
    driverRef: x.Driver.driverId,
    constructorRef: x.Constructor.constructorId,
    number: x.number ?? null,
    grid: x.grid ?? 0,
    position: finished ? Number(x.positionText) : null,
    positionText: x.positionText,
    // Missing position cannot be ordered: left undefined so the loader quarantines the row.
    positionOrder: x.position as number,
    points: x.points,
    laps: x.laps,
    timeText: orNull(x.Time?.time),
    milliseconds: x.Time?.millis ?? null,
    fastestLap: x.FastestLap?.lap ?? null,
    fastestLapTime: orNull(x.FastestLap?.Time?.time),
    status: x.status,
  };
}

export function resultRecords(race: ErgastRace): ResultRecord[] {
  return (race.Results ?? []).map((x) => ({
    ...classification(race, x),
    fastestLapRank: x.FastestLap?.rank ?? null,
    fastestLapSpeed: x.FastestLap?.AverageSpeed?.speed ?? null,
  }));
}

export function sprintResultRecords(race: ErgastRace): SprintResultRecord[] {
  return (race.SprintResults ?? []).map((x) => classification(race, x));
}

export function qualifyingRecords(race: ErgastRace): QualifyingRecord[] {
  return (race.QualifyingResults ?? []).map((q) => ({
    season: race.season,
    round: race.round,
    driverRef: q.Driver.driverId,
    constructorRef: q.Constructor.constructorId,
    number: q.number ?? null,
    position: q.position,
    q1: orNull(q.Q1),
    q2: orNull(q.Q2),
    q3: orNull(q.Q3),
  }));
}

export function pitStopRecords(race: ErgastRace): PitStopRecord[] {
  return (race.PitStops ?? []).map((p) => ({
    season: race.season,
    round: race.round,
    driverRef: p.driverId,
    stop: p.stop,
    lap: p.lap,
    localTime: orNull(p.time),
    duration: orNull(p.duration),
    milliseconds: timingMs(p.duration),
  }));
}

export function lapRecords(race: ErgastRace): LapRecord[] {
  return (race.Laps ?? []).flatMap((lap) =>
    lap.Timings.map((t) => ({
      season: race.season,
      round: race.round,
      driverRef: t.driverId,
      lap: lap.number,
      position: t.position ?? null,
      timeMs: timingMs(t.time),
      source: 'jolpica',
    })),
  );
}

/**
 * Standings as the dump stores them: position null where Ergast gives none, positionText as
 * sent ('1', 'D', '-'), points and wins as numbers.
 */
export function driverStandingRecords(list: ErgastStandingsList): DriverStandingRecord[] {
  return (list.DriverStandings ?? []).map((s) => ({
    season: list.season,
    round: list.round,
    driverRef: s.Driver.driverId,
    points: s.points,
    position: s.position ?? null,
    positionText: s.positionText,
    wins: s.wins,
  }));
}

export function constructorStandingRecords(list: ErgastStandingsList): ConstructorStandingRecord[] {
  return (list.ConstructorStandings ?? []).map((s) => ({
    season: list.season,
    round: list.round,
    constructorRef: s.Constructor.constructorId,
    points: s.points,
    position: s.position ?? null,
    positionText: s.positionText,
    wins: s.wins,
  }));
}

const tableOf: Record<InvalidRow['list'], RejectedRow['table']> = {
  Results: 'results',
  SprintResults: 'sprint_results',
  QualifyingResults: 'qualifying',
  PitStops: 'pit_stops',
  Laps: 'laps',
  DriverStandings: 'driver_standings',
  ConstructorStandings: 'constructor_standings',
};

/** Rows the client could not parse, as rejected rows for the loader to quarantine. */
export function invalidRows(race: { season: number; round: number; invalid: InvalidRow[] }): RejectedRow[] {
  return race.invalid.map((i) => ({
    table: tableOf[i.list],
    raw: { season: race.season, round: race.round, row: i.raw },
    reason: `jolpica ${race.season} R${race.round} ${i.list}: ${i.reason}`,
  }));
}

/** Collects everything a set of race tables (and driver lists) carries into one batch, reference rows de-duplicated. */
export function jolpicaBatch(input: { races?: ErgastRace[]; schedule?: ErgastRace[]; drivers?: ErgastDriver[]; standings?: ErgastStandingsList[] }): RecordBatch {
  const circuits = new Map<string, CircuitRecord>();
  const drivers = new Map<string, DriverRecord>();
  const constructors = new Map<string, ConstructorRecord>();
  const statuses = new Map<string, StatusRecord>();
  const races = new Map<string, RaceRecord>();
  const batch: Required<
    Pick<RecordBatch, 'results' | 'sprintResults' | 'qualifying' | 'pitStops' | 'laps' | 'driverStandings' | 'constructorStandings' | 'rejected'>
  > = {
    rejected: [],
    results: [],
    sprintResults: [],
    qualifying: [],
    pitStops: [],
    laps: [],
    driverStandings: [],
    constructorStandings: [],
  };
  const addRace = (r: ErgastRace, fromSchedule: boolean) => {
    circuits.set(r.Circuit.circuitId, circuitRecord(r.Circuit));
    const key = `${r.season}/${r.round}`;
    // The schedule comes first and wins: it is the one with the session times.
    if (!races.has(key)) races.set(key, raceRecord(r, fromSchedule));
  };
  for (const r of input.schedule ?? []) addRace(r, true);
  for (const d of input.drivers ?? []) drivers.set(d.driverId, driverRecord(d));
  for (const r of input.races ?? []) {
    addRace(r, false);
    for (const x of [...(r.Results ?? []), ...(r.SprintResults ?? []), ...(r.QualifyingResults ?? [])]) {
      drivers.set(x.Driver.driverId, driverRecord(x.Driver));
      constructors.set(x.Constructor.constructorId, constructorRecord(x.Constructor));
      if ('status' in x) statuses.set(x.status, { status: x.status });
    }
    batch.results.push(...resultRecords(r));
    batch.sprintResults.push(...sprintResultRecords(r));
    batch.qualifying.push(...qualifyingRecords(r));
    batch.pitStops.push(...pitStopRecords(r));
    batch.laps.push(...lapRecords(r));
    batch.rejected.push(...invalidRows(r));
  }
  for (const list of input.standings ?? []) {
    // A standing names its driver and team in full: a newcomer arrives with it as with a result.
    for (const x of list.DriverStandings ?? []) {
      if (!drivers.has(x.Driver.driverId)) drivers.set(x.Driver.driverId, driverRecord(x.Driver));
      for (const c of x.Constructors ?? []) if (!constructors.has(c.constructorId)) constructors.set(c.constructorId, constructorRecord(c));
    }
    for (const x of list.ConstructorStandings ?? []) {
      if (!constructors.has(x.Constructor.constructorId)) constructors.set(x.Constructor.constructorId, constructorRecord(x.Constructor));
    }
    batch.driverStandings.push(...driverStandingRecords(list));
    batch.constructorStandings.push(...constructorStandingRecords(list));
    batch.rejected.push(...invalidRows(list));
  }
  // The same quirks as in the dump (Jolpica serves the Ergast rows): 2024 R8's swapped stop/lap, 2024 R23's implausible stops.
  const fixed = fixSwappedPitStops(batch.pitStops);
  batch.pitStops = fixed.stops;
  const warnings = detectImplausiblePitStops(fixed.stops);
  return {
    ...(fixed.corrections.length ? { corrections: fixed.corrections } : {}),
    ...(warnings.length ? { warnings } : {}),
    seasons: [...new Set([...races.values()].map((r) => r.season))].map((year) => ({ year })),
    circuits: [...circuits.values()],
    drivers: [...drivers.values()],
    constructors: [...constructors.values()],
    statuses: [...statuses.values()],
    races: [...races.values()],
    ...batch,
  };
}
