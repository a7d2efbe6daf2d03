import type { Knex } from 'knex';

/**
 * A season's rows in every table, keyed and valued by natural keys only (season/round,
 * driver, constructor, circuit and status references instead of surrogate ids), so two
 * databases loaded by different paths (a dump ingest, the scheduled API ingests) can be
 * compared row by row. A diagnostic reader for the replay's comparison, not a store: nothing
 * in the product reads through it.
 */

export type SeasonTable =
  | 'races' | 'circuits' | 'drivers' | 'constructors' | 'status' | 'results' | 'sprint_results' | 'qualifying'
  | 'driver_standings' | 'constructor_standings' | 'constructor_results' | 'pit_stops' | 'laps';

export const seasonTables: readonly SeasonTable[] = [
  'races', 'circuits', 'drivers', 'constructors', 'status', 'results', 'sprint_results', 'qualifying',
  'driver_standings', 'constructor_standings', 'constructor_results', 'pit_stops', 'laps',
];

/** Per table: natural key → the row's other columns. */
export type SeasonRows = Record<SeasonTable, Map<string, Record<string, unknown>>>;

type Row = Record<string, unknown>;

/** Per-race tables and the columns (beyond round) that make their natural key. */
const perRace: Partial<Record<SeasonTable, string[]>> = {
  results: ['driver_ref'],
  sprint_results: ['driver_ref'],
  qualifying: ['driver_ref'],
  driver_standings: ['driver_ref'],
  constructor_standings: ['constructor_ref'],
  constructor_results: ['constructor_ref'],
  pit_stops: ['driver_ref', 'stop'],
  laps: ['driver_ref', 'lap'],
};

/**
 * Surrogate ids and bookkeeping differ between databases by construction; ergast_id only the
 * dump has; a lap's `sources` names the path it came by ('ergast' for the lap export of
 * Ergast's laps endpoint, 'jolpica' for the same endpoint through the API): provenance, not data.
 */
const dropped = (column: string) => column === 'id' || column.endsWith('_id') || column.endsWith('_at') || column === 'sources';

const strip = (row: Row, key: string[]): Row =>
  Object.fromEntries(Object.entries(row).filter(([c]) => !dropped(c) && !key.includes(c)).map(([c, v]) => [c, normalise(v)]));

/** Values as JSON compares them: dates and times as ISO text, bigint text as numbers. */
function normalise(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return [...v].map(normalise);
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return v;
}

/** The season's calendar, and the rows of its rounds up to `rounds` (all by default) in the other tables. */
export async function readSeasonRows(db: Knex, season: number, options: { rounds?: number } = {}): Promise<SeasonRows> {
  const out = Object.fromEntries(seasonTables.map((t) => [t, new Map()])) as SeasonRows;
  const put = (table: SeasonTable, key: string[], rows: Row[]) => {
    for (const row of rows) out[table].set(key.map((k) => String(row[k])).join('/'), strip(row, key));
  };
  const races = db('races as r').where('r.season', season);
  put('races', ['round'], await races.clone().join('circuits as ci', 'ci.id', 'r.circuit_id').select('r.*', 'ci.circuit_ref'));
  const raceIds = (options.rounds === undefined ? races.clone() : races.clone().andWhere('r.round', '<=', options.rounds)).select('r.id');
  put('circuits', ['circuit_ref'], await db('circuits').whereIn('id', races.clone().select('r.circuit_id')).select('*'));

  for (const [table, key] of Object.entries(perRace) as [SeasonTable, string[]][]) {
    const q = db(`${table} as t`).join('races as r', 'r.id', 't.race_id').whereIn('t.race_id', raceIds.clone()).select('t.*', 'r.round');
    if (table !== 'constructor_standings' && table !== 'constructor_results') q.join('drivers as d', 'd.id', 't.driver_id').select('d.driver_ref');
    if (['results', 'sprint_results', 'qualifying', 'constructor_standings', 'constructor_results'].includes(table)) q.join('constructors as c', 'c.id', 't.constructor_id').select('c.constructor_ref');
    if (table === 'results' || table === 'sprint_results') q.join('status as s', 's.id', 't.status_id').select('s.status');
    put(table, ['round', ...key], await q);
  }

  // The entities the season's rows refer to.
  const used = (column: 'driver_id' | 'constructor_id' | 'status_id', tables: string[]) =>
    db.union(tables.map((t) => db(t).whereIn('race_id', raceIds.clone()).select(column)));
  put('drivers', ['driver_ref'], await db('drivers').whereIn('id', used('driver_id', ['results', 'sprint_results', 'qualifying', 'driver_standings'])).select('*'));
  put('constructors', ['constructor_ref'], await db('constructors').whereIn('id', used('constructor_id', ['results', 'sprint_results', 'qualifying', 'constructor_standings'])).select('*'));
  put('status', ['status'], await db('status').whereIn('id', used('status_id', ['results', 'sprint_results'])).select('*'));
  return out;
}

export interface TableComparison {
  table: SeasonTable;
  /** Rows in each database. */
  left: number;
  right: number;
  equal: number;
  differing: number;
  onlyLeft: number;
  onlyRight: number;
  /** Columns that differ, with how many rows differ in each. */
  columns: Record<string, number>;
  /** A few differing rows: key, column, the two values. */
  examples: { key: string; column: string; left: unknown; right: unknown }[];
  /** A few keys found on one side only. */
  missing: { side: 'left' | 'right'; key: string }[];
}

/** Row-by-row comparison of two databases' seasons, per table. */
export function compareSeasonRows(left: SeasonRows, right: SeasonRows): TableComparison[] {
  return seasonTables.map((table) => {
    const [a, b] = [left[table], right[table]];
    const c: TableComparison = { table, left: a.size, right: b.size, equal: 0, differing: 0, onlyLeft: 0, onlyRight: 0, columns: {}, examples: [], missing: [] };
    for (const [key, row] of a) {
      const other = b.get(key);
      if (!other) {
        c.onlyLeft++;
        if (c.missing.length < 5) c.missing.push({ side: 'right', key });
        continue;
      }
      const diff = [...new Set([...Object.keys(row), ...Object.keys(other)])].filter((col) => JSON.stringify(row[col] ?? null) !== JSON.stringify(other[col] ?? null));
      if (diff.length === 0) {
        c.equal++;
        continue;
      }
      c.differing++;
      for (const col of diff) {
        c.columns[col] = (c.columns[col] ?? 0) + 1;
        if (c.examples.length < 5 && !c.examples.some((e) => e.column === col)) c.examples.push({ key, column: col, left: row[col] ?? null, right: other[col] ?? null });
      }
    }
    for (const key of b.keys()) {
      if (a.has(key)) continue;
      c.onlyRight++;
      if (c.missing.filter((m) => m.side === 'left').length < 5) c.missing.push({ side: 'left', key });
    }
    return c;
  });
}
