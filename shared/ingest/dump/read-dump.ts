import { ValidationError } from '../../errors.js';
import { readDelimited, toObjects } from '../csv.js';
import { checkDelimited, decodeUtf8 } from '../file-checks.js';
import { detectImplausiblePitStops, fixSwappedPitStops } from '../quirks.js';
import type { CorrectedRow, LapRecord, PitStopRecord, RecordBatch, RejectedRow, TableName } from '../records.js';
import type { DumpSource } from './dump-source.js';
import { dumpColumns, dumpTableOf, type DumpTable } from './dump-layout.js';

/**
 * Reads an Ergast dump (the 14-table layout: CSV or TSV, `\N` for null) into normalised
 * records. The dump's numeric ids (raceId, driverId, ...) are mapped to natural keys
 * through the dump's own tables; a row whose id does not resolve is rejected with the
 * reason. Values are converted loosely here (a bad number becomes NaN) and validated by
 * the loader's zod schemas, so a bad value is quarantined there with the zod message.
 */

const required: DumpTable[] = ['circuits', 'drivers', 'constructors', 'status', 'races'];

type Raw = Record<string, string>;

export interface DumpReadResult {
  batch: RecordBatch;
  /** Data rows per source file, for the summary's `read`. */
  rows: Partial<Record<DumpTable, number>>;
  format: 'csv' | 'tsv';
}

export async function readDump(source: DumpSource): Promise<DumpReadResult> {
  const names = await source.names();
  const files = new Map<DumpTable, string>();
  for (const n of names) {
    const table = dumpTableOf(n);
    if (table) files.set(table, n);
  }
  const missing = required.filter((t) => !files.has(t));
  if (missing.length) throw new ValidationError(`not an Ergast dump (${source.describe}): missing ${missing.join(', ')}`);

  let format: 'csv' | 'tsv' = 'csv';
  const tables = new Map<DumpTable, Raw[]>();
  // Every file is decoded and checked before any is used: one bad file refuses the dump.
  for (const [table, name] of files) {
    const text = decodeUtf8(name, await source.read(name));
    const parsed = readDelimited(text);
    // The tables everything refers to must have rows; a per-race table may be empty (a slice of seasons without sprints).
    checkDelimited(name, parsed, { columns: dumpColumns[table], requireFinalNewline: true, allowNoRows: !required.includes(table) });
    if (parsed.delimiter === '\t') format = 'tsv';
    tables.set(table, toObjects(parsed.header, parsed.rows));
  }
  const get = (t: DumpTable) => tables.get(t) ?? [];

  const rejected: RejectedRow[] = [];
  const corrections: CorrectedRow[] = [];
  const reject = (table: TableName, raw: Raw, reason: string) => rejected.push({ table, raw, reason });

  const circuitRef = new Map(get('circuits').map((r) => [r.circuitId, r.circuitRef]));
  const driverRef = new Map(get('drivers').map((r) => [r.driverId, r.driverRef]));
  const constructorRef = new Map(get('constructors').map((r) => [r.constructorId, r.constructorRef]));
  const statusText = new Map(get('status').map((r) => [r.statusId, r.status]));
  const raceKey = new Map(get('races').map((r) => [r.raceId, { season: num(r.year), round: num(r.round) }]));

  /** Resolves a per-race row's ids; undefined (and a rejection) when one is unknown. */
  const keyed = (table: TableName, r: Raw, need: { driver?: boolean; team?: boolean }) => {
    const race = raceKey.get(r.raceId ?? '');
    if (!race) return void reject(table, r, `unknown raceId ${r.raceId}`);
    const out: { season: number; round: number; driverRef?: string; constructorRef?: string } = { ...race };
    if (need.driver) {
      const d = driverRef.get(r.driverId ?? '');
      if (!d) return void reject(table, r, `unknown driverId ${r.driverId}`);
      out.driverRef = d;
    }
    if (need.team) {
      const c = constructorRef.get(r.constructorId ?? '');
      if (!c) return void reject(table, r, `unknown constructorId ${r.constructorId}`);
      out.constructorRef = c;
    }
    return out;
  };

  const classification = (table: TableName, r: Raw) => {
    const k = keyed(table, r, { driver: true, team: true });
    if (!k) return undefined;
    const status = statusText.get(r.statusId ?? '');
    if (!status) return void reject(table, r, `unknown statusId ${r.statusId}`);
    return {
      ...k,
      driverRef: k.driverRef!,
      constructorRef: k.constructorRef!,
      number: numOrNull(r.number),
      grid: num(r.grid),
      position: numOrNull(r.position),
      positionText: str(r.positionText) ?? '',
      positionOrder: num(r.positionOrder),
      points: num(r.points),
      laps: num(r.laps),
      timeText: str(r.time),
      milliseconds: numOrNull(r.milliseconds),
      fastestLap: numOrNull(r.fastestLap),
      fastestLapTime: str(r.fastestLapTime),
      status,
    };
  };

  const batch: RecordBatch = {
    seasons: get('seasons').map((r) => ({ year: num(r.year), url: str(r.url) })),
    circuits: get('circuits').map((r) => ({
      circuitRef: r.circuitRef ?? '', name: r.name ?? '', location: str(r.location), country: str(r.country),
      lat: numOrNull(r.lat), lng: numOrNull(r.lng), alt: numOrNull(r.alt), url: str(r.url), ergastId: num(r.circuitId),
    })),
    drivers: get('drivers').map((r) => ({
      driverRef: r.driverRef ?? '', number: numOrNull(r.number), code: str(r.code), forename: r.forename ?? '',
      surname: r.surname ?? '', dob: str(r.dob), nationality: str(r.nationality), url: str(r.url), ergastId: num(r.driverId),
    })),
    constructors: get('constructors').map((r) => ({
      constructorRef: r.constructorRef ?? '', name: r.name ?? '', nationality: str(r.nationality), url: str(r.url),
      ergastId: num(r.constructorId),
    })),
    statuses: get('status').map((r) => ({ status: r.status ?? '', ergastId: num(r.statusId) })),
    races: [],
    results: [],
    sprintResults: [],
    qualifying: [],
    driverStandings: [],
    constructorStandings: [],
    constructorResults: [],
    pitStops: [],
    laps: [],
  };

  for (const r of get('races')) {
    const circuit = circuitRef.get(r.circuitId ?? '');
    if (!circuit) {
      reject('races', r, `unknown circuitId ${r.circuitId}`);
      continue;
    }
    batch.races!.push({
      season: num(r.year), round: num(r.round), circuitRef: circuit, name: r.name ?? '', date: r.date ?? '', time: str(r.time),
      fp1Date: str(r.fp1_date), fp1Time: str(r.fp1_time), fp2Date: str(r.fp2_date), fp2Time: str(r.fp2_time),
      fp3Date: str(r.fp3_date), fp3Time: str(r.fp3_time), qualiDate: str(r.quali_date), qualiTime: str(r.quali_time),
      sprintDate: str(r.sprint_date), sprintTime: str(r.sprint_time), url: str(r.url), ergastId: num(r.raceId),
    });
  }
  for (const r of get('results')) {
    const c = classification('results', r);
    if (c) batch.results!.push({ ...c, fastestLapRank: numOrNull(r.rank), fastestLapSpeed: numOrNull(r.fastestLapSpeed) });
  }
  for (const r of get('sprint_results')) {
    const c = classification('sprint_results', r);
    if (c) batch.sprintResults!.push(c);
  }
  for (const r of get('qualifying')) {
    const k = keyed('qualifying', r, { driver: true, team: true });
    if (!k) continue;
    const record = {
      ...k, driverRef: k.driverRef!, constructorRef: k.constructorRef!, number: numOrNull(r.number), position: num(r.position),
      q1: str(r.q1), q2: str(r.q2), q3: str(r.q3),
    };
    // Quirk: some q2/q3 are "" instead of \N (2023 R22, 2024 R2/R7/R15/R17): no time set → null.
    const empty = (['q1', 'q2', 'q3'] as const).filter((q) => r[q] === '');
    for (const q of empty) record[q] = null;
    if (empty.length) {
      corrections.push({ table: 'qualifying', raw: r, corrected: record, reason: `empty-string ${empty.join(', ')} loaded as null (no time set)` });
    }
    batch.qualifying!.push(record);
  }
  for (const r of get('driver_standings')) {
    const k = keyed('driver_standings', r, { driver: true });
    if (k) {
      batch.driverStandings!.push({
        ...k, driverRef: k.driverRef!, points: num(r.points), position: numOrNull(r.position), positionText: str(r.positionText), wins: num(r.wins),
      });
    }
  }
  for (const r of get('constructor_standings')) {
    const k = keyed('constructor_standings', r, { team: true });
    if (k) {
      batch.constructorStandings!.push({
        ...k, constructorRef: k.constructorRef!, points: num(r.points), position: numOrNull(r.position),
        positionText: str(r.positionText), wins: num(r.wins),
      });
    }
  }
  for (const r of get('constructor_results')) {
    const k = keyed('constructor_results', r, { team: true });
    if (k) batch.constructorResults!.push({ ...k, constructorRef: k.constructorRef!, points: numOrNull(r.points), status: str(r.status) });
  }
  const stops: PitStopRecord[] = [];
  for (const r of get('pit_stops')) {
    const k = keyed('pit_stops', r, { driver: true });
    if (k) {
      stops.push({
        ...k, driverRef: k.driverRef!, stop: num(r.stop), lap: num(r.lap), localTime: str(r.time), duration: str(r.duration),
        milliseconds: numOrNull(r.milliseconds),
      });
    }
  }
  const fixed = fixSwappedPitStops(stops);
  batch.pitStops = fixed.stops;
  corrections.push(...fixed.corrections);
  batch.warnings = detectImplausiblePitStops(fixed.stops);
  const laps: LapRecord[] = [];
  for (const r of get('lap_times')) {
    const k = keyed('laps', r, { driver: true });
    if (k) {
      laps.push({ ...k, driverRef: k.driverRef!, lap: num(r.lap), position: numOrNull(r.position), timeMs: numOrNull(r.milliseconds), source: 'ergast' });
    }
  }
  batch.laps = laps;
  batch.rejected = rejected;
  batch.corrections = corrections;

  const rows: Partial<Record<DumpTable, number>> = {};
  for (const [t, list] of tables) rows[t] = list.length;
  return { batch, rows, format };
}

const NULL = '\\N';
function str(v: string | undefined): string | null {
  return v === undefined || v === NULL || v === '' ? null : v;
}
function num(v: string | undefined): number {
  return v === undefined || v === NULL || v === '' ? Number.NaN : Number(v);
}
function numOrNull(v: string | undefined): number | null {
  return v === undefined || v === NULL || v === '' ? null : Number(v);
}
