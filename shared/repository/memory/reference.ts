import { isDeepStrictEqual } from 'node:util';
import type {
  Circuit, Compound, Constructor, ConstructorRaceResult, Driver, Lap, PitStop, QualifyingResult, Race, RaceResult, SessionName, Standing,
} from '../../domain/reference.js';
import type { RaceControlMessage } from '../../domain/race-control.js';
import type { SessionWeatherSample } from '../../domain/weather.js';
import { referenceColumns, referenceUpsertSpecs, type ReferenceStore, type ReferenceTable } from '../reference-store.js';
import type { UpsertCounts } from '../reference-upsert.js';
import { ConstraintError, copy, type Row, type Session } from './tables.js';

/**
 * Reference data in memory: rows keep the camelCase fields the SQL store's writers pass
 * (the same field lists and natural keys, from reference-store.ts), plus `id`.
 */

type Fields = Record<string, unknown>;
const fieldsOf = (table: ReferenceTable) => Object.keys(referenceColumns[table]);
const fieldOfColumn = (table: ReferenceTable, column: string): string => {
  const found = Object.entries(referenceColumns[table]).find(([, c]) => c === column);
  if (!found) throw new Error(`no field for ${table}.${column}`);
  return found[0];
};

/** Foreign keys the database checks, field → referenced table. */
const references: Partial<Record<ReferenceTable, Record<string, ReferenceTable>>> = {
  races: { season: 'seasons', circuitId: 'circuits' },
  results: { raceId: 'races', driverId: 'drivers', constructorId: 'constructors', statusId: 'status' },
  sprint_results: { raceId: 'races', driverId: 'drivers', constructorId: 'constructors', statusId: 'status' },
  qualifying: { raceId: 'races', driverId: 'drivers', constructorId: 'constructors' },
  driver_standings: { raceId: 'races', driverId: 'drivers' },
  constructor_standings: { raceId: 'races', constructorId: 'constructors' },
  constructor_results: { raceId: 'races', constructorId: 'constructors' },
  pit_stops: { raceId: 'races', driverId: 'drivers' },
  laps: { raceId: 'races', driverId: 'drivers' },
  session_weather: { raceId: 'races' },
  race_control: { raceId: 'races', driverId: 'drivers' },
};

/** Foreign keys whose column is nullable (a null refers to nothing). */
const nullableReferences: Partial<Record<ReferenceTable, string[]>> = { race_control: ['driverId'] };

/** The CHECK constraints of migrations/001 that domain data can trip over. */
function check(table: ReferenceTable, r: Fields): void {
  const fail = (what: string) => {
    throw new ConstraintError(`new row for relation "${table}" violates check constraint (${what})`, '23514');
  };
  if (table === 'seasons' && !((r.year as number) >= 1950 && (r.year as number) <= 2100)) fail('year between 1950 and 2100');
  if (table === 'races') {
    if (!((r.round as number) >= 1 && (r.round as number) <= 40)) fail('round between 1 and 40');
    if (r.date == null) fail('race_date not null');
    if (r.qualiDate != null && String(r.qualiDate) > String(r.date)) fail('quali_date <= race_date');
    if (r.sprintDate != null && String(r.sprintDate) > String(r.date)) fail('sprint_date <= race_date');
  }
  if (table === 'results' || table === 'sprint_results') {
    if (!((r.positionOrder as number) >= 1)) fail('position_order >= 1');
    if (!((r.grid as number) >= 0)) fail('grid >= 0');
  }
  if (table === 'qualifying' && !((r.position as number) >= 1)) fail('position >= 1');
  if (table === 'laps' && r.pitStop === true && r.pitIn === false) fail('pit_stop implies pit_in');
}

/** PostgreSQL's TIME and DATE as they read back: '13:00:00', '2024-05-26'. */
function normalise(field: string, v: unknown): unknown {
  if (v == null) return null;
  if (field === 'time' || (/Time$/.test(field) && field !== 'fastestLapTime' && field !== 'localTime')) {
    const t = String(v).replace(/Z$/, '');
    return /^\d{2}:\d{2}$/.test(t) ? `${t}:00` : t;
  }
  if (/Date$/.test(field) || field === 'date' || field === 'dob') return String(v).slice(0, 10);
  return v;
}

const sessionFields: [SessionName, string][] = [['fp1', 'fp1'], ['fp2', 'fp2'], ['fp3', 'fp3'], ['qualifying', 'quali'], ['sprint', 'sprint']];

export function raceOf(r: Row): Race {
  const sessions: Race['sessions'] = { race: { date: r.date as string, time: (r.time as string | null) ?? null } };
  for (const [name, f] of sessionFields) {
    const date = r[`${f}Date`] as string | null;
    if (date) sessions[name] = { date, time: (r[`${f}Time`] as string | null) ?? null };
  }
  return { id: r.id as number, season: r.season as number, round: r.round as number, circuitId: r.circuitId as number, name: r.name as string, url: (r.url as string | null) ?? null, sessions };
}

/** Ascending on each key, nulls last (PostgreSQL's ORDER BY ... ASC). */
export function by<T>(...keys: ((x: T) => unknown)[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const k of keys) {
      const [x, y] = [k(a), k(b)];
      if (x === y) continue;
      if (x == null) return 1;
      if (y == null) return -1;
      return (x as number | string) < (y as number | string) ? -1 : 1;
    }
    return 0;
  };
}

/** The named fields of a stored row as a domain object (missing ones null). */
const pick = <T>(r: Row, fields: readonly (keyof T & string)[]): T => Object.fromEntries(fields.map((f) => [f, r[f] ?? null])) as T;

export function createMemoryReferenceStore(s: Session): ReferenceStore {
  const t = s.tables;
  const keyOf = (table: ReferenceTable, r: Row) => (table === 'seasons' ? (r.year as number) : (r.id as number));
  const statusText = (id: unknown) => String(t.get('status', id as number)?.status);
  const where = (table: string, test: (r: Row) => boolean) => t.rows(table).filter(test);

  const resultOf = (r: Row): RaceResult => ({
    ...pick<Omit<RaceResult, 'status'>>(r, ['raceId', 'driverId', 'constructorId', 'number', 'grid', 'position', 'positionText', 'positionOrder', 'points', 'laps', 'timeText', 'milliseconds', 'fastestLap', 'fastestLapRank', 'fastestLapTime', 'fastestLapSpeed']),
    status: statusText(r.statusId),
  });
  const standingOf = (idField: string) => (r: Row): Standing => ({
    raceId: r.raceId as number, entityId: r[idField] as number, points: r.points as number, position: (r.position as number | null) ?? null,
    positionText: (r.positionText as string | null) ?? null, wins: r.wins as number,
  });

  const store: ReferenceStore = {
    async upsert(table, rows) {
      const spec = referenceUpsertSpecs[table];
      const fields = fieldsOf(table);
      const key = spec.key.map((c) => fieldOfColumn(table, c));
      const keepExisting = (spec.keepExisting ?? []).map((c) => fieldOfColumn(table, c));
      // Only the fields some row carries: a source without a field must not null it out.
      const present = fields.filter((f) => rows.some((r) => r[f] !== undefined));
      const nonKey = present.filter((f) => !key.includes(f));
      const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
      const keyString = (r: Fields) => JSON.stringify(key.map((f) => r[f] ?? null));
      // One statement in SQL: a refused row leaves none of the batch behind.
      await s.transaction(async (tx) => {
        const stored = new Map(t.rows(table).map((r) => [keyString(r), r]));
        const touched = new Set<string>();
        for (const input of rows) {
          const row: Fields = Object.fromEntries(present.map((f) => [f, normalise(f, input[f])]));
          const k = keyString(row);
          if (touched.has(k) && nonKey.length > 0) {
            throw new ConstraintError(`ON CONFLICT DO UPDATE command cannot affect row a second time (${table} ${k})`, '23000');
          }
          touched.add(k);
          const existing = stored.get(k);
          let next: Fields;
          if (!existing) {
            next = { ...Object.fromEntries(fields.map((f) => [f, null])), ...(table === 'laps' ? { sources: [] } : {}), ...row };
            if (table !== 'seasons') next.id = t.nextId(table);
          } else {
            next = { ...existing };
            for (const f of nonKey) {
              const [old, neu] = [existing[f] ?? null, row[f] ?? null];
              if (f === 'sources' && spec.mode === 'merge') next[f] = [...new Set([...(old as string[]), ...((neu as string[] | null) ?? [])])].sort();
              else if (keepExisting.includes(f)) next[f] = old ?? neu;
              else if (spec.mode === 'merge') next[f] = neu ?? old;
              else next[f] = neu;
            }
            if (nonKey.length === 0 || isDeepStrictEqual(next, { ...existing })) {
              counts.unchanged++;
              continue;
            }
          }
          check(table, next);
          for (const [f, target] of Object.entries(references[table] ?? {})) {
            if (next[f] == null && nullableReferences[table]?.includes(f)) continue;
            if (next[f] == null || !t.get(target, next[f] as number)) {
              throw new ConstraintError(`insert or update on table "${table}" violates foreign key (${f} = ${String(next[f])} not in ${target})`, '23503');
            }
          }
          if (next.ergastId != null && t.rows(table).some((r) => r.ergastId === next.ergastId && r.id !== next.id)) {
            throw new ConstraintError(`duplicate key value violates unique constraint "${table}_ergast_id_key"`, '23505');
          }
          tx.write(table, keyOf(table, next), next);
          stored.set(k, next);
          counts[existing ? 'updated' : 'inserted']++;
        }
      });
      return counts;
    },
    async ensure(table, values) {
      const field = table === 'seasons' ? 'year' : 'status';
      const known = new Set(t.rows(table).map((r) => r[field]));
      for (const v of values) {
        if (known.has(v)) continue;
        known.add(v);
        if (table === 'seasons') s.write('seasons', v as number, { year: v, url: null });
        else {
          const id = t.nextId('status');
          s.write('status', id, { id, status: v, ergastId: null });
        }
      }
    },
    async keys() {
      const pairs = (table: string, field: string) => new Map(t.rows(table).map((r) => [String(r[field]), r.id as number]));
      return {
        circuits: pairs('circuits', 'circuitRef'),
        drivers: pairs('drivers', 'driverRef'),
        constructors: pairs('constructors', 'constructorRef'),
        status: pairs('status', 'status'),
        races: new Map(t.rows('races').map((r) => [`${r.season}/${r.round}`, r.id as number])),
      };
    },
    async raceEntrants({ fromSeason, toSeason } = {}) {
      return t.rows('results').flatMap((r) => {
        const race = t.get('races', r.raceId as number)!;
        const driver = t.get('drivers', r.driverId as number)!;
        if ((fromSeason !== undefined && (race.season as number) < fromSeason) || (toSeason !== undefined && (race.season as number) > toSeason)) return [];
        return [{
          season: race.season as number, round: race.round as number, raceId: race.id as number, driverRef: driver.driverRef as string,
          code: (driver.code as string | null) ?? null, number: (r.number as number | null) ?? null, laps: r.laps as number, status: statusText(r.statusId),
        }];
      });
    },
    async rowCounts() {
      return Object.fromEntries((Object.keys(referenceColumns) as ReferenceTable[]).map((table) => [table, t.count(table)])) as Record<ReferenceTable, number>;
    },
    async circuits() {
      return t.rows('circuits').sort(by((r) => r.circuitRef)).map((r) => pick<Circuit>(r, ['id', 'circuitRef', 'name', 'location', 'country', 'lat', 'lng', 'alt', 'url']));
    },
    async drivers() {
      return t.rows('drivers').sort(by((r) => r.driverRef)).map((r) => pick<Driver>(r, ['id', 'driverRef', 'number', 'code', 'forename', 'surname', 'dob', 'nationality', 'url']));
    },
    async constructors() {
      return t.rows('constructors').sort(by((r) => r.constructorRef)).map((r) => pick<Constructor>(r, ['id', 'constructorRef', 'name', 'nationality', 'url']));
    },
    async results(raceId) {
      return where('results', (r) => r.raceId === raceId).sort(by((r) => r.positionOrder)).map(resultOf);
    },
    async seasonResults(season) {
      const round = (r: Row) => t.get('races', r.raceId as number)!.round;
      return where('results', (r) => t.get('races', r.raceId as number)!.season === season).sort(by(round, (r) => r.positionOrder)).map(resultOf);
    },
    async sprintResults(raceId) {
      return where('sprint_results', (r) => r.raceId === raceId).sort(by((r) => r.positionOrder)).map((r) => {
        const { fastestLapRank: _a, fastestLapSpeed: _b, ...rest } = resultOf(r);
        return rest;
      });
    },
    async qualifying(raceId) {
      return where('qualifying', (r) => r.raceId === raceId).sort(by((r) => r.position))
        .map((r) => pick<QualifyingResult>(r, ['raceId', 'driverId', 'constructorId', 'number', 'position', 'q1', 'q2', 'q3', 'q1Ms', 'q2Ms', 'q3Ms']));
    },
    async pitStops(raceId) {
      return where('pit_stops', (r) => r.raceId === raceId).sort(by((r) => r.driverId, (r) => r.stop))
        .map((r) => pick<PitStop>(r, ['raceId', 'driverId', 'stop', 'lap', 'localTime', 'duration', 'milliseconds']));
    },
    async laps(raceId, driverId) {
      return where('laps', (r) => r.raceId === raceId && (driverId === undefined || r.driverId === driverId)).sort(by((r) => r.driverId, (r) => r.lap))
        .map((r) => copy(pick<Lap & { pitStop: boolean | null }>(r, ['raceId', 'driverId', 'lap', 'position', 'timeMs', 'compound', 'stint', 'tyreLife', 'freshTyre', 'trackStatus', 'pitIn', 'pitOut', 'pitStop', 'sources'])));
    },
    async carStrategies({ fromSeason, toSeason }) {
      const cars = new Map<string, Row[]>();
      for (const lap of t.rows('laps')) {
        const race = t.get('races', lap.raceId as number)!;
        if ((race.season as number) < fromSeason || (race.season as number) > toSeason) continue;
        const k = `${lap.raceId}/${lap.driverId}`;
        cars.set(k, [...(cars.get(k) ?? []), lap]);
      }
      const distance = new Map<number, number>();
      for (const laps of cars.values()) for (const l of laps) distance.set(l.raceId as number, Math.max(distance.get(l.raceId as number) ?? 0, l.lap as number));
      return [...cars.values()]
        .map((laps) => {
          laps.sort(by((l) => l.lap));
          const race = t.get('races', laps[0]!.raceId as number)!;
          const compound = (laps[0]!.compound as Compound | null) ?? null;
          return {
            season: race.season as number, round: race.round as number, circuitId: race.circuitId as number, totalLaps: distance.get(race.id as number)!,
            startCompound: compound === 'UNKNOWN' ? null : compound, stops: laps.filter((l) => l.pitStop === true).map((l) => l.lap as number),
            lapsCompleted: laps.length, driverId: laps[0]!.driverId as number,
          };
        })
        .sort(by((c) => c.season, (c) => c.round, (c) => c.driverId))
        .map(({ driverId: _d, ...c }) => c);
    },
    async driverStandings(raceId) {
      return where('driver_standings', (r) => r.raceId === raceId).sort(by((r) => r.position)).map(standingOf('driverId'));
    },
    async constructorStandings(raceId) {
      return where('constructor_standings', (r) => r.raceId === raceId).sort(by((r) => r.position)).map(standingOf('constructorId'));
    },
    async constructorResults(raceId) {
      return where('constructor_results', (r) => r.raceId === raceId).sort(by((r) => r.constructorId)).map((r) => pick<ConstructorRaceResult>(r, ['raceId', 'constructorId', 'points', 'status']));
    },
    async sessionWeather(raceId) {
      return where('session_weather', (r) => r.raceId === raceId).sort(by((r) => r.session, (r) => r.sampledAt))
        .map((r) => pick<SessionWeatherSample>(r, ['raceId', 'session', 'sessionKey', 'sampledAt', 'airTemperature', 'trackTemperature', 'humidity', 'pressure', 'rainfall', 'windDirection', 'windSpeed']));
    },
    async raceControl(raceId) {
      return where('race_control', (r) => r.raceId === raceId).sort(by((r) => r.session, (r) => r.at, (r) => r.message))
        .map((r) => pick<RaceControlMessage>(r, ['raceId', 'session', 'sessionKey', 'at', 'lap', 'driverId', 'category', 'flag', 'scope', 'sector', 'message']));
    },
  };
  return store;
}
