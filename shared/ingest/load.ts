import type { z } from 'zod';
import { timingMs } from '../domain/timing.js';
import { ValidationError } from '../errors.js';
import type { Repository } from '../repository/index.js';
import type { TableCounts } from '../repository/ingestion-runs-store.js';
import type { ReferenceKeys, ReferenceTable } from '../repository/reference-store.js';
import { derivePitStops } from './pit-flags.js';
import {
  circuitRecord,
  constructorRecord,
  constructorResultRecord,
  constructorStandingRecord,
  driverRecord,
  driverStandingRecord,
  lapRecord,
  pitStopRecord,
  qualifyingRecord,
  raceControlRecord,
  raceRecord,
  resultRecord,
  seasonRecord,
  sessionWeatherRecord,
  sprintResultRecord,
  statusRecord,
  type LoadOptions,
  type LoadRecords,
  type LoadSummary,
  type RecordBatch,
  type TableName,
} from './records.js';

/**
 * The one loading path every source goes through (dump, lap files, Jolpica, OpenF1).
 *
 * 1. Every record is validated with its zod schema; a failing record is quarantined with
 *    the zod issues as the reason. So is a record whose natural keys do not resolve
 *    (unknown race, driver, constructor) and a duplicate natural key within the batch.
 * 2. Seasons, circuits, drivers, constructors, status and races are upserted in one
 *    transaction (they are small and everything else refers to them).
 * 3. The per-race tables are written race by race. A race's rows are always written in
 *    ONE transaction, so a crash leaves no half-loaded race; consecutive races are
 *    grouped into a transaction up to `rowsPerTransaction` rows (or `racesPerTransaction`
 *    races) to keep round trips low. The next run upserts the same rows and completes it.
 * 4. Per-table counts: read = inserted + updated + unchanged + quarantined.
 */

type PerRaceTable = Exclude<TableName, 'seasons' | 'circuits' | 'drivers' | 'constructors' | 'status' | 'races'>;

const perRaceTables: { table: PerRaceTable; field: keyof RecordBatch; schema: z.ZodType }[] = [
  { table: 'results', field: 'results', schema: resultRecord },
  { table: 'sprint_results', field: 'sprintResults', schema: sprintResultRecord },
  { table: 'qualifying', field: 'qualifying', schema: qualifyingRecord },
  { table: 'driver_standings', field: 'driverStandings', schema: driverStandingRecord },
  { table: 'constructor_standings', field: 'constructorStandings', schema: constructorStandingRecord },
  { table: 'constructor_results', field: 'constructorResults', schema: constructorResultRecord },
  { table: 'pit_stops', field: 'pitStops', schema: pitStopRecord },
  { table: 'laps', field: 'laps', schema: lapRecord },
  { table: 'session_weather', field: 'sessionWeather', schema: sessionWeatherRecord },
  { table: 'race_control', field: 'raceControl', schema: raceControlRecord },
];

/** Natural key of a record within its table (duplicates in a batch are quarantined). */
const naturalKey: Record<TableName, (r: Record<string, unknown>) => string> = {
  seasons: (r) => `${r.year}`,
  circuits: (r) => `${r.circuitRef}`,
  drivers: (r) => `${r.driverRef}`,
  constructors: (r) => `${r.constructorRef}`,
  status: (r) => `${r.status}`,
  races: (r) => `${r.season}/${r.round}`,
  results: (r) => `${r.season}/${r.round}/${r.driverRef}/${r.number ?? ''}`,
  sprint_results: (r) => `${r.season}/${r.round}/${r.driverRef}`,
  qualifying: (r) => `${r.season}/${r.round}/${r.driverRef}`,
  driver_standings: (r) => `${r.season}/${r.round}/${r.driverRef}`,
  constructor_standings: (r) => `${r.season}/${r.round}/${r.constructorRef}`,
  constructor_results: (r) => `${r.season}/${r.round}/${r.constructorRef}`,
  pit_stops: (r) => `${r.season}/${r.round}/${r.driverRef}/${r.stop}`,
  laps: (r) => `${r.season}/${r.round}/${r.driverRef}/${r.lap}/${r.source}`,
  session_weather: (r) => `${r.season}/${r.round}/${r.session}/${r.sampledAt}`,
  race_control: (r) => `${r.season}/${r.round}/${r.session}/${r.at}/${r.message}`,
};

const DEFAULT_ROWS_PER_TRANSACTION = 20_000;

type Row = Record<string, unknown>;

interface Quarantine {
  table: TableName;
  raw: unknown;
  reason: string;
}

/** A load that stopped part-way; `summary` counts what was committed before it stopped. */
export class LoadFailedError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly summary: LoadSummary,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'LoadFailedError';
  }
}

export const loadRecords: LoadRecords = async (repo, batch, options) => {
  const summary: LoadSummary = {};
  try {
    return await load(repo, batch, options, summary);
  } catch (err) {
    throw new LoadFailedError(err, summary);
  }
};

async function load(repo: Repository, batch: RecordBatch, options: LoadOptions, summary: LoadSummary): Promise<LoadSummary> {
  const quarantine: Quarantine[] = [];
  const count = (table: TableName): TableCounts =>
    (summary[table] ??= { read: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0 });
  const reject = (table: TableName, raw: unknown, reason: string) => {
    quarantine.push({ table, raw, reason });
    count(table).quarantined++;
  };
  const timed = async <T>(table: TableName, work: Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await work;
    if (options.timings) options.timings[table] = (options.timings[table] ?? 0) + performance.now() - t0;
    return out;
  };
  const add = (table: TableName, c: { inserted: number; updated: number; unchanged: number }) => {
    if (!summary[table] && c.inserted + c.updated + c.unchanged === 0) return;
    const t = count(table);
    t.inserted += c.inserted;
    t.updated += c.updated;
    t.unchanged += c.unchanged;
  };

  for (const r of batch.rejected ?? []) {
    count(r.table).read++;
    reject(r.table, r.raw, r.reason);
  }

  /** zod + duplicate check; returns the valid records in input order. */
  const validate = (table: TableName, schema: z.ZodType, records: readonly unknown[] | undefined): Row[] => {
    if (!records?.length) return [];
    count(table).read += records.length;
    const seen = new Set<string>();
    const out: Row[] = [];
    for (const record of records) {
      const parsed = schema.safeParse(record);
      if (!parsed.success) {
        reject(table, record, parsed.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`).join('; '));
        continue;
      }
      const row = parsed.data as Row;
      const key = naturalKey[table](row);
      if (seen.has(key)) {
        reject(table, record, `duplicate natural key ${key} in this batch`);
        continue;
      }
      seen.add(key);
      out.push(row);
    }
    return out;
  };

  const seasons = validate('seasons', seasonRecord, batch.seasons);
  const circuits = validate('circuits', circuitRecord, batch.circuits);
  const drivers = validate('drivers', driverRecord, batch.drivers);
  const constructors = validate('constructors', constructorRecord, batch.constructors);
  const statuses = validate('status', statusRecord, batch.statuses);
  const races = validate('races', raceRecord, batch.races);
  const perRace = new Map<PerRaceTable, Row[]>();
  for (const { table, field, schema } of perRaceTables) {
    perRace.set(table, validate(table, schema, batch[field] as unknown[] | undefined));
  }

  // A table with no valid row or a majority quarantined is a wrong file, not bad rows:
  // refused before anything is written (its quarantined rows are kept with the failed run).
  if (options.refuseBadTables) {
    const bad = Object.entries(summary).find(([, c]) => c.read > 0 && c.quarantined * 2 > c.read);
    if (bad) {
      const [table, c] = bad;
      await repo.ingestionRuns.quarantine(
        quarantine.map((q) => ({ runId: options.run.id, source: options.source, tableName: q.table, raw: q.raw, reason: q.reason })),
      );
      const first = quarantine.find((q) => q.table === table)?.reason;
      throw new ValidationError(
        `${table}: ${c.quarantined} of ${c.read} rows fail validation${c.quarantined === c.read ? ' (none is valid)' : ', a majority'}, so the file is refused and nothing of the batch written (first reason: ${first}); its quarantined rows are recorded with run ${options.run.id}`,
      );
    }
  }

  // Reference tables and races: one transaction.
  let keys = await repo.withTransaction(async (trx) => {
    // Seasons and status texts implied by races/results but not in the batch (API rounds).
    add('seasons', await timed('seasons', trx.reference.upsert('seasons', seasons)));
    await trx.reference.ensure('seasons', [...new Set(races.map((r) => r.season as number))]);
    add('circuits', await timed('circuits', trx.reference.upsert('circuits', circuits)));
    add('drivers', await timed('drivers', trx.reference.upsert('drivers', drivers)));
    add('constructors', await timed('constructors', trx.reference.upsert('constructors', constructors)));
    const impliedStatus = [...(perRace.get('results') ?? []), ...(perRace.get('sprint_results') ?? [])].map((r) => r.status as string);
    add('status', await timed('status', trx.reference.upsert('status', statuses)));
    await trx.reference.ensure('status', [...new Set(impliedStatus)]);
    const k = await trx.reference.keys();
    const raceRows: Row[] = [];
    for (const r of races) {
      const circuitId = k.circuits.get(r.circuitRef as string);
      if (circuitId === undefined) reject('races', r, `unknown circuitRef ${r.circuitRef}`);
      else raceRows.push({ ...r, circuitRef: undefined, circuitId });
    }
    add('races', await timed('races', trx.reference.upsert('races', raceRows)));
    return k;
  });
  keys = await repo.reference.keys();

  // Resolve natural keys and group rows by race.
  const byRace = new Map<number, { season: number; round: number; rows: Map<PerRaceTable, Row[]> }>();
  for (const [table, rows] of perRace) {
    const resolved = table === 'laps' ? mergeLaps(rows) : rows;
    for (const row of resolved) {
      const r = resolve(table, row, keys);
      if ('reason' in r) {
        reject(table, row, r.reason);
        continue;
      }
      let race = byRace.get(r.raceId);
      if (!race) byRace.set(r.raceId, (race = { season: row.season as number, round: row.round as number, rows: new Map() }));
      const list = race.rows.get(table) ?? [];
      list.push(r.row);
      race.rows.set(table, list);
    }
  }
  // A merged lap stands for several read records: count its reads as they came in.
  await repo.ingestionRuns.quarantine(
    quarantine.map((q) => ({ runId: options.run.id, source: options.source, tableName: q.table, raw: q.raw, reason: q.reason })),
  );
  if (batch.corrections?.length) {
    await repo.ingestionRuns.note(
      batch.corrections.map((c) => ({ runId: options.run.id, kind: 'corrected', tableName: c.table, raw: c.raw, corrected: c.corrected, reason: c.reason })),
    );
  }
  for (const w of batch.warnings ?? []) options.logger?.warn(w.reason, { table: w.table });
  if (batch.warnings?.length) {
    await repo.ingestionRuns.note(
      batch.warnings.map((w) => ({ runId: options.run.id, kind: 'warning', tableName: w.table, raw: w.raw, corrected: null, reason: w.reason })),
    );
  }

  // Per-race tables, whole races per transaction, in calendar order.
  const order = [...byRace.entries()].sort(([, a], [, b]) => a.season - b.season || a.round - b.round);
  const maxRows = options.rowsPerTransaction ?? DEFAULT_ROWS_PER_TRANSACTION;
  const maxRaces = options.racesPerTransaction ?? Number.POSITIVE_INFINITY;
  let group: typeof order = [];
  let groupRows = 0;
  const flush = async () => {
    if (group.length === 0) return;
    const work = group;
    group = [];
    groupRows = 0;
    const counted: [TableName, { inserted: number; updated: number; unchanged: number }][] = [];
    await repo.withTransaction(async (trx) => {
      for (const { table } of perRaceTables) {
        const rows = work.flatMap(([, race]) => race.rows.get(table) ?? []);
        if (rows.length) counted.push([table, await timed(table, trx.reference.upsert(table as ReferenceTable, rows))]);
      }
    });
    // Counted only once the transaction committed.
    for (const [table, c] of counted) add(table, c);
    options.onRacesCommitted?.(work.map(([, r]) => ({ season: r.season, round: r.round })));
  };
  for (const entry of order) {
    const n = [...entry[1].rows.values()].reduce((s, rows) => s + rows.length, 0);
    if (group.length > 0 && (groupRows + n > maxRows || group.length >= maxRaces)) await flush();
    group.push(entry);
    groupRows += n;
  }
  await flush();

  // Merged laps: several source records became one row; reads stay as received, and the
  // difference is reported as `merged` so read = written + quarantined + merged.
  const laps = summary.laps;
  if (laps) {
    const merged = laps.read - laps.quarantined - (laps.inserted + laps.updated + laps.unchanged);
    if (merged > 0) (laps as TableCounts & { merged?: number }).merged = merged;
  }
  return summary;
}

/** Turns a validated per-race record into a row with surrogate ids, or says why it cannot. */
function resolve(table: PerRaceTable, r: Row, keys: ReferenceKeys): { raceId: number; row: Row } | { reason: string } {
  // `r` is the loader's own copy (zod's output or a merged lap): ids are added in place;
  // the store writes only the columns it knows, so the natural-key fields can stay.
  const raceId = keys.races.get(`${r.season}/${r.round}`);
  if (raceId === undefined) return { reason: `unknown race ${r.season} round ${r.round}` };
  let driverId: number | undefined;
  let constructorId: number | undefined;
  let statusId: number | undefined;
  // A null driverRef (race control's track-wide messages) is a row about no driver.
  if (r.driverRef === null) r.driverId = null;
  else if (r.driverRef !== undefined) {
    driverId = keys.drivers.get(r.driverRef as string);
    if (driverId === undefined) return { reason: `unknown driverRef ${r.driverRef}` };
  }
  if (r.constructorRef !== undefined) {
    constructorId = keys.constructors.get(r.constructorRef as string);
    if (constructorId === undefined) return { reason: `unknown constructorRef ${r.constructorRef}` };
  }
  if (table === 'results' || table === 'sprint_results') {
    statusId = keys.status.get(r.status as string);
    if (statusId === undefined) return { reason: `unknown status ${r.status}` };
  }
  r.raceId = raceId;
  if (driverId !== undefined) r.driverId = driverId;
  if (constructorId !== undefined) r.constructorId = constructorId;
  if (statusId !== undefined) r.statusId = statusId;
  if (table === 'qualifying') {
    r.q1Ms = timingMs(r.q1 as string | null | undefined);
    r.q2Ms = timingMs(r.q2 as string | null | undefined);
    r.q3Ms = timingMs(r.q3 as string | null | undefined);
  }
  return { raceId, row: r };
}

const lapColumns = ['position', 'timeMs', 'compound', 'stint', 'tyreLife', 'freshTyre', 'trackStatus', 'pitIn', 'pitOut'] as const;

/** Column precedence when sources disagree: the first source listed that has a value wins. */
const lapSourcePrecedence = ['fastf1', 'ergast', 'jolpica', 'openf1'];

/**
 * Merges the lap records of several sources into one row per (race, driver, lap): each
 * column from the highest-precedence source that has it, `sources` listing them all, then
 * derives `pitStop` per driver and race from the merged laps (pit-flags.ts).
 */
export function mergeLaps(records: Row[]): Row[] {
  const rank = (s: unknown) => {
    const i = lapSourcePrecedence.indexOf(String(s));
    return i === -1 ? lapSourcePrecedence.length : i;
  };
  // Stable bucket by precedence instead of a sort: this runs over ~200k records.
  const buckets: Row[][] = Array.from({ length: lapSourcePrecedence.length + 1 }, () => []);
  for (const r of records) buckets[rank(r.source)]!.push(r);
  const merged = new Map<string, Row>();
  for (const bucket of buckets) {
    for (const r of bucket) {
      const key = `${r.season}/${r.round}/${r.driverRef}/${r.lap}`;
      const m = merged.get(key);
      if (!m) {
        merged.set(key, { ...r, sources: [r.source] });
        continue;
      }
      for (const k of lapColumns) if (m[k] == null && r[k] != null) m[k] = r[k];
      (m.sources as string[]).push(r.source as string);
    }
  }
  const byDriver = new Map<string, Row[]>();
  for (const row of merged.values()) {
    (row.sources as string[]).sort();
    const k = `${row.season}/${row.round}/${row.driverRef}`;
    const list = byDriver.get(k) ?? [];
    list.push(row);
    byDriver.set(k, list);
  }
  for (const laps of byDriver.values()) {
    const verdicts = derivePitStops(laps as never[]);
    for (const lap of laps) lap.pitStop = verdicts.get(lap.lap as number)?.pitStop ?? null;
  }
  return [...merged.values()];
}

export type { LoadOptions, LoadSummary, RecordBatch };
