import fs from 'node:fs/promises';
import path from 'node:path';
import { readDelimited, toObjects } from '../ingest/csv.js';
import type { ScheduledRace } from './publication.js';

/**
 * The raw Ergast CSVs (F1_DATA_DIR/ergast) and the 2024 Ergast lap timings (f1-pace), held
 * in memory as the JSON objects Jolpica sends: every value a string, absent fields left
 * out (Ergast omits `Time` of a car without one, `permanentNumber` of an old driver, ...).
 * Read straight from the files, never through the database.
 */

type Raw = Record<string, string>;
export type Json = Record<string, unknown>;

export interface EmulatedRace extends ScheduledRace {
  raceId: string;
  season: number;
  round: number;
  /** The race header every race table repeats (season, round, url, raceName, Circuit, date, time). */
  header: Json;
  /** The schedule entry: the header plus the session dates and times. */
  schedule: Json;
  circuitRef: string;
}

export interface ErgastData {
  /** By season, then round. */
  races: EmulatedRace[];
  circuits: Map<string, Json>;
  /** Per raceId: the rows of each list, as Jolpica sends them, in Ergast's order. */
  results: Map<string, Json[]>;
  sprint: Map<string, Json[]>;
  qualifying: Map<string, Json[]>;
  pitStops: Map<string, Json[]>;
  /** Lap timings, sorted by lap then position. */
  laps: Map<string, { lap: number; timing: Json }[]>;
  driverStandings: Map<string, Json[]>;
  constructorStandings: Map<string, Json[]>;
  /** Per raceId: the drivers and constructors that took part (results, sprint or qualifying), for the season lists. */
  entrants: Map<string, { drivers: Map<string, Json>; constructors: Map<string, Json> }>;
}

const NULL = '\\N';
const value = (v: string | undefined): string | undefined => (v === undefined || v === NULL || v === '' ? undefined : v);
/** Keeps only the fields that have a value (Ergast leaves absent ones out). */
const present = (o: Record<string, unknown>): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

async function readCsv(file: string): Promise<Raw[]> {
  const parsed = readDelimited(await fs.readFile(file, 'utf8'));
  return toObjects(parsed.header, parsed.rows);
}

const groupBy = <T>(rows: T[], key: (r: T) => string): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
};

/** Seconds (96.647) as an Ergast lap time ('1:36.647'). */
export function lapTimeText(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const minutes = Math.floor(ms / 60_000);
  const rest = ((ms % 60_000) / 1000).toFixed(3).padStart(6, '0');
  return `${minutes}:${rest}`;
}

export async function loadErgastData(dataDir: string): Promise<ErgastData> {
  const dir = path.join(dataDir, 'ergast');
  const [circuitRows, driverRows, constructorRows, statusRows, raceRows, resultRows, sprintRows, qualiRows, pitRows, dsRows, csRows] = await Promise.all(
    ['circuits', 'drivers', 'constructors', 'status', 'races', 'results', 'sprint_results', 'qualifying', 'pit_stops', 'driver_standings', 'constructor_standings'].map((t) =>
      readCsv(path.join(dir, `${t}.csv`)),
    ),
  );

  const circuitById = new Map<string, { ref: string; json: Json }>();
  for (const c of circuitRows!) {
    circuitById.set(c.circuitId!, {
      ref: c.circuitRef!,
      json: present({
        circuitId: c.circuitRef,
        url: value(c.url),
        circuitName: c.name,
        Location: present({ lat: value(c.lat), long: value(c.lng), locality: value(c.location), country: value(c.country) }),
      }),
    });
  }
  const driverById = new Map<string, { ref: string; code?: string; json: Json }>();
  for (const d of driverRows!) {
    driverById.set(d.driverId!, {
      ref: d.driverRef!,
      ...(value(d.code) ? { code: d.code! } : {}),
      json: present({
        driverId: d.driverRef,
        permanentNumber: value(d.number),
        code: value(d.code),
        url: value(d.url),
        givenName: d.forename,
        familyName: d.surname,
        dateOfBirth: value(d.dob),
        nationality: value(d.nationality),
      }),
    });
  }
  const constructorById = new Map<string, Json>();
  for (const c of constructorRows!) {
    constructorById.set(c.constructorId!, present({ constructorId: c.constructorRef, url: value(c.url), name: c.name, nationality: value(c.nationality) }));
  }
  const status = new Map(statusRows!.map((s) => [s.statusId!, s.status!]));

  const session = (date: string | undefined, time: string | undefined) => (value(date) ? present({ date, time: value(time) ? `${time}Z` : undefined }) : undefined);
  const races: EmulatedRace[] = raceRows!.map((r) => {
    const circuit = circuitById.get(r.circuitId!)!;
    const header = present({
      season: r.year,
      round: r.round,
      url: value(r.url),
      raceName: r.name,
      Circuit: circuit.json,
      date: r.date,
      time: value(r.time) ? `${r.time}Z` : undefined,
    });
    // Ergast's own keys for a weekend's sessions (its 2023 recording files a sprint weekend's second session as SecondPractice).
    const schedule = present({
      ...header,
      FirstPractice: session(r.fp1_date, r.fp1_time),
      SecondPractice: session(r.fp2_date, r.fp2_time),
      ThirdPractice: session(r.fp3_date, r.fp3_time),
      Qualifying: session(r.quali_date, r.quali_time),
      Sprint: session(r.sprint_date, r.sprint_time),
    });
    const at = (date: string | undefined, time: string | undefined) => (value(date) ? { date: date!, time: value(time) ?? null } : null);
    return {
      raceId: r.raceId!,
      season: Number(r.year),
      round: Number(r.round),
      circuitRef: circuit.ref,
      date: r.date!,
      time: value(r.time) ?? null,
      quali: at(r.quali_date, r.quali_time),
      sprint: at(r.sprint_date, r.sprint_time),
      header,
      schedule,
    };
  });
  races.sort((a, b) => a.season - b.season || a.round - b.round);

  const entrants = new Map<string, { drivers: Map<string, Json>; constructors: Map<string, Json> }>();
  const enter = (r: Raw) => {
    let e = entrants.get(r.raceId!);
    if (!e) entrants.set(r.raceId!, (e = { drivers: new Map(), constructors: new Map() }));
    const d = driverById.get(r.driverId!);
    const c = constructorById.get(r.constructorId!);
    if (d) e.drivers.set(d.ref, d.json);
    if (c) e.constructors.set(String(c.constructorId), c);
  };

  const classified = (r: Raw, withRank: boolean): Json => {
    enter(r);
    // A car with a rank but no fastest lap (rank 0 in 2024 Monaco) keeps its rank, so the API carries what the dump does.
    const fastest = value(r.fastestLap) || (withRank && value(r.rank))
      ? present({
          rank: withRank ? value(r.rank) : undefined,
          lap: value(r.fastestLap),
          Time: value(r.fastestLapTime) ? { time: r.fastestLapTime } : undefined,
          AverageSpeed: withRank && value(r.fastestLapSpeed) ? { units: 'kph', speed: r.fastestLapSpeed } : undefined,
        })
      : undefined;
    return present({
      number: value(r.number),
      // Ergast's `position` is the classification order; positionText says whether it is a finish.
      position: r.positionOrder,
      positionText: r.positionText,
      points: r.points,
      Driver: driverById.get(r.driverId!)?.json,
      Constructor: constructorById.get(r.constructorId!),
      grid: r.grid,
      laps: r.laps,
      status: status.get(r.statusId!),
      Time: value(r.milliseconds) ? present({ millis: r.milliseconds, time: value(r.time) }) : undefined,
      FastestLap: fastest,
    });
  };
  const byOrder = (a: Raw, b: Raw, field: string) => Number(a[field]) - Number(b[field]);

  const mapRows = (rows: Raw[], sort: (a: Raw, b: Raw) => number, toJson: (r: Raw) => Json) =>
    new Map([...groupBy(rows, (r) => r.raceId!)].map(([raceId, list]) => [raceId, [...list].sort(sort).map(toJson)]));

  const results = mapRows(resultRows!, (a, b) => byOrder(a, b, 'positionOrder'), (r) => classified(r, true));
  const sprint = mapRows(sprintRows!, (a, b) => byOrder(a, b, 'positionOrder'), (r) => classified(r, false));
  const qualifying = mapRows(qualiRows!, (a, b) => byOrder(a, b, 'position'), (r) => {
    enter(r);
    return present({
      number: value(r.number),
      position: r.position,
      Driver: driverById.get(r.driverId!)?.json,
      Constructor: constructorById.get(r.constructorId!),
      // Jolpica always sends Q1 ("" for a car without a time, as its 2004 R1 answer shows); Q2 and Q3 only when set.
      Q1: value(r.q1) ?? '',
      Q2: value(r.q2),
      Q3: value(r.q3),
    });
  });
  // Served as the source has them (2024 R8 Monaco's seven stop/lap-swapped rows included): the ingest must cope, as with the dump.
  const pitStops = mapRows(pitRows!, (a, b) => a.time!.localeCompare(b.time!) || byOrder(a, b, 'stop'), (r) =>
    present({ driverId: driverById.get(r.driverId!)?.ref, lap: r.lap, stop: r.stop, time: value(r.time), duration: value(r.duration) }),
  );

  // The constructors a driver drove for in a season up to each round (DriverStandings[].Constructors).
  const raceById = new Map(races.map((r) => [r.raceId, r]));
  const teamsSoFar = new Map<string, Map<string, Json>>(); // `${season}/${driverId}` → constructors by first race
  const teamsAt = new Map<string, Json[]>(); // `${raceId}/${driverId}`
  const resultsByRace = groupBy(resultRows!, (r) => r.raceId!);
  for (const race of races) {
    for (const r of resultsByRace.get(race.raceId) ?? []) {
      const key = `${race.season}/${r.driverId}`;
      const teams = teamsSoFar.get(key) ?? new Map<string, Json>();
      const c = constructorById.get(r.constructorId!);
      if (c) teams.set(r.constructorId!, c);
      teamsSoFar.set(key, teams);
      teamsAt.set(`${race.raceId}/${r.driverId}`, [...teams.values()]);
    }
  }
  const teamsOf = (raceId: string, driverId: string) => {
    const race = raceById.get(raceId);
    return teamsAt.get(`${raceId}/${driverId}`) ?? [...(teamsSoFar.get(`${race?.season}/${driverId}`)?.values() ?? [])];
  };
  const standing = (r: Raw) => present({ position: value(r.position), positionText: r.positionText, points: r.points, wins: r.wins });
  const driverStandings = mapRows(dsRows!, (a, b) => (Number(a.position) || 999) - (Number(b.position) || 999), (r) =>
    present({ ...standing(r), Driver: driverById.get(r.driverId!)?.json, Constructors: teamsOf(r.raceId!, r.driverId!) }),
  );
  const constructorStandings = mapRows(csRows!, (a, b) => (Number(a.position) || 999) - (Number(b.position) || 999), (r) =>
    present({ ...standing(r), Constructor: constructorById.get(r.constructorId!) }),
  );

  const laps = await loadLaps(dataDir, races, resultRows!, driverById);
  return { races, circuits: new Map([...circuitById.values()].map((c) => [c.ref, c.json])), results, sprint, qualifying, pitStops, laps, driverStandings, constructorStandings, entrants };
}

/**
 * Ergast `laps` of 2024 from f1-pace's lap_times.csv (round, driver code, lap, position,
 * seconds): each code is the driver's among that race's entrants. Other seasons have none.
 */
async function loadLaps(
  dataDir: string,
  races: EmulatedRace[],
  resultRows: Raw[],
  driverById: Map<string, { ref: string; code?: string }>,
): Promise<Map<string, { lap: number; timing: Json }[]>> {
  const file = path.join(dataDir, 'laps', 'ergast-api', 'f1-pace', 'lap_times.csv');
  const out = new Map<string, { lap: number; timing: Json }[]>();
  const rows = await readCsv(file).catch(() => [] as Raw[]);
  const season = races.filter((r) => r.season === 2024);
  const codes = new Map<string, Map<string, string>>(); // raceId → code → driverRef
  for (const r of resultRows) {
    if (!season.some((s) => s.raceId === r.raceId)) continue;
    const d = driverById.get(r.driverId!);
    if (!d?.code) continue;
    const byCode = codes.get(r.raceId!) ?? new Map<string, string>();
    byCode.set(d.code, d.ref);
    codes.set(r.raceId!, byCode);
  }
  for (const row of rows) {
    const race = season.find((s) => s.round === Number(row.round));
    const ref = race && codes.get(race.raceId)?.get(row.driver!);
    if (!race || !ref) continue;
    const list = out.get(race.raceId) ?? [];
    list.push({ lap: Number(row.lap), timing: present({ driverId: ref, position: value(row.position), time: value(row.time) ? lapTimeText(Number(row.time)) : undefined }) });
    out.set(race.raceId, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.lap - b.lap || Number(a.timing.position) - Number(b.timing.position));
  return out;
}
