import type { Knex } from 'knex';
import type { RaceControlMessage, RaceControlSession } from '../domain/race-control.js';
import type { SessionWeatherSample, WeatherSession } from '../domain/weather.js';
import type {
  CarStrategy,
  Circuit,
  Compound,
  Constructor,
  ConstructorRaceResult,
  Driver,
  Lap,
  PitStop,
  QualifyingResult,
  RaceResult,
  SprintResult,
  Standing,
} from '../domain/reference.js';
import { dateOrNull, numberOrNull } from './rows.js';
import { upsertRows, type UpsertCounts, type UpsertSpec } from './reference-upsert.js';

/**
 * Reference data (the Ergast model): natural-key upserts for the ingestion loader and the
 * typed reads everyone else uses. Writers pass camelCase rows with surrogate ids already
 * resolved (see `keys()`); readers get domain objects.
 */

export type ReferenceTable =
  | 'seasons'
  | 'circuits'
  | 'drivers'
  | 'constructors'
  | 'status'
  | 'races'
  | 'results'
  | 'sprint_results'
  | 'qualifying'
  | 'driver_standings'
  | 'constructor_standings'
  | 'constructor_results'
  | 'pit_stops'
  | 'laps'
  | 'session_weather'
  | 'race_control';

/** camelCase field → column, per table; the field order is the column order. */
const columnsOf: Record<ReferenceTable, Record<string, string>> = {
  seasons: { year: 'year', url: 'url' },
  circuits: {
    circuitRef: 'circuit_ref', name: 'name', location: 'location', country: 'country', lat: 'lat', lng: 'lng',
    alt: 'alt', url: 'url', ergastId: 'ergast_id',
  },
  drivers: {
    driverRef: 'driver_ref', number: 'number', code: 'code', forename: 'forename', surname: 'surname', dob: 'dob',
    nationality: 'nationality', url: 'url', ergastId: 'ergast_id',
  },
  constructors: { constructorRef: 'constructor_ref', name: 'name', nationality: 'nationality', url: 'url', ergastId: 'ergast_id' },
  status: { status: 'status', ergastId: 'ergast_id' },
  races: {
    season: 'season', round: 'round', circuitId: 'circuit_id', name: 'name', date: 'race_date', time: 'race_time',
    fp1Date: 'fp1_date', fp1Time: 'fp1_time', fp2Date: 'fp2_date', fp2Time: 'fp2_time', fp3Date: 'fp3_date',
    fp3Time: 'fp3_time', qualiDate: 'quali_date', qualiTime: 'quali_time', sprintDate: 'sprint_date',
    sprintTime: 'sprint_time', url: 'url', ergastId: 'ergast_id',
  },
  results: {
    raceId: 'race_id', driverId: 'driver_id', number: 'number', constructorId: 'constructor_id', grid: 'grid',
    position: 'position', positionText: 'position_text', positionOrder: 'position_order', points: 'points', laps: 'laps',
    timeText: 'time_text', milliseconds: 'milliseconds', fastestLap: 'fastest_lap', fastestLapRank: 'fastest_lap_rank',
    fastestLapTime: 'fastest_lap_time', fastestLapSpeed: 'fastest_lap_speed', statusId: 'status_id',
  },
  sprint_results: {
    raceId: 'race_id', driverId: 'driver_id', constructorId: 'constructor_id', number: 'number', grid: 'grid',
    position: 'position', positionText: 'position_text', positionOrder: 'position_order', points: 'points', laps: 'laps',
    timeText: 'time_text', milliseconds: 'milliseconds', fastestLap: 'fastest_lap', fastestLapTime: 'fastest_lap_time',
    statusId: 'status_id',
  },
  qualifying: {
    raceId: 'race_id', driverId: 'driver_id', constructorId: 'constructor_id', number: 'number', position: 'position',
    q1: 'q1', q2: 'q2', q3: 'q3', q1Ms: 'q1_ms', q2Ms: 'q2_ms', q3Ms: 'q3_ms',
  },
  driver_standings: {
    raceId: 'race_id', driverId: 'driver_id', points: 'points', position: 'position', positionText: 'position_text', wins: 'wins',
  },
  constructor_standings: {
    raceId: 'race_id', constructorId: 'constructor_id', points: 'points', position: 'position',
    positionText: 'position_text', wins: 'wins',
  },
  constructor_results: { raceId: 'race_id', constructorId: 'constructor_id', points: 'points', status: 'status' },
  pit_stops: {
    raceId: 'race_id', driverId: 'driver_id', stop: 'stop', lap: 'lap', localTime: 'local_time', duration: 'duration',
    milliseconds: 'milliseconds',
  },
  laps: {
    raceId: 'race_id', driverId: 'driver_id', lap: 'lap', position: 'position', timeMs: 'time_ms', compound: 'compound',
    stint: 'stint', tyreLife: 'tyre_life', freshTyre: 'fresh_tyre', trackStatus: 'track_status', pitIn: 'pit_in',
    pitOut: 'pit_out', pitStop: 'pit_stop', sources: 'sources',
  },
  session_weather: {
    raceId: 'race_id', session: 'session', sampledAt: 'sampled_at', sessionKey: 'session_key', airTemperature: 'air_temperature',
    trackTemperature: 'track_temperature', humidity: 'humidity', pressure: 'pressure', rainfall: 'rainfall',
    windDirection: 'wind_direction', windSpeed: 'wind_speed',
  },
  race_control: {
    raceId: 'race_id', session: 'session', at: 'issued_at', message: 'message', sessionKey: 'session_key', lap: 'lap',
    driverId: 'driver_id', category: 'category', flag: 'flag', scope: 'scope', sector: 'sector',
  },
};

const specs: Record<ReferenceTable, UpsertSpec> = {
  seasons: { table: 'seasons', key: ['year'], mode: 'replace' },
  circuits: { table: 'circuits', key: ['circuit_ref'], mode: 'replace', keepExisting: ['ergast_id'] },
  drivers: { table: 'drivers', key: ['driver_ref'], mode: 'replace', keepExisting: ['ergast_id'] },
  constructors: { table: 'constructors', key: ['constructor_ref'], mode: 'replace', keepExisting: ['ergast_id'] },
  status: { table: 'status', key: ['status'], mode: 'replace', keepExisting: ['ergast_id'] },
  races: { table: 'races', key: ['season', 'round'], mode: 'replace', keepExisting: ['ergast_id'] },
  results: { table: 'results', key: ['race_id', 'driver_id', 'number'], constraint: 'results_natural_key', mode: 'replace' },
  sprint_results: { table: 'sprint_results', key: ['race_id', 'driver_id'], mode: 'replace' },
  qualifying: { table: 'qualifying', key: ['race_id', 'driver_id'], mode: 'replace' },
  driver_standings: { table: 'driver_standings', key: ['race_id', 'driver_id'], mode: 'replace' },
  constructor_standings: { table: 'constructor_standings', key: ['race_id', 'constructor_id'], mode: 'replace' },
  constructor_results: { table: 'constructor_results', key: ['race_id', 'constructor_id'], mode: 'replace' },
  pit_stops: { table: 'pit_stops', key: ['race_id', 'driver_id', 'stop'], mode: 'replace' },
  laps: { table: 'laps', key: ['race_id', 'driver_id', 'lap'], mode: 'merge' },
  session_weather: { table: 'session_weather', key: ['race_id', 'session', 'sampled_at'], mode: 'replace' },
  race_control: { table: 'race_control', key: ['race_id', 'session', 'issued_at', 'message'], mode: 'replace' },
};

/** The tables' fields and natural keys, shared with the in-memory repository (memory/reference.ts). */
export { columnsOf as referenceColumns, specs as referenceUpsertSpecs };

/** Natural key → surrogate id, for resolving records before writing them. */
export interface ReferenceKeys {
  circuits: Map<string, number>;
  drivers: Map<string, number>;
  constructors: Map<string, number>;
  status: Map<string, number>;
  /** `${season}/${round}` → race id. */
  races: Map<string, number>;
}

/** A driver's entry in a race, for mapping lap files' driver numbers and codes onto drivers. */
export interface RaceEntrant {
  season: number;
  round: number;
  raceId: number;
  driverRef: string;
  code: string | null;
  number: number | null;
  laps: number;
  status: string;
}

export interface ReferenceStore {
  /** Upserts camelCase rows (ids resolved) on the table's natural key. */
  upsert(table: ReferenceTable, rows: Record<string, unknown>[]): Promise<UpsertCounts>;
  /** Inserts what is missing and leaves the rest alone (implied seasons, status texts). */
  ensure(table: 'seasons' | 'status', values: (number | string)[]): Promise<void>;
  keys(): Promise<ReferenceKeys>;
  raceEntrants(range?: { fromSeason?: number; toSeason?: number }): Promise<RaceEntrant[]>;
  rowCounts(): Promise<Record<ReferenceTable, number>>;

  circuits(): Promise<Circuit[]>;
  drivers(): Promise<Driver[]>;
  constructors(): Promise<Constructor[]>;
  results(raceId: number): Promise<RaceResult[]>;
  seasonResults(season: number): Promise<RaceResult[]>;
  sprintResults(raceId: number): Promise<SprintResult[]>;
  qualifying(raceId: number): Promise<QualifyingResult[]>;
  pitStops(raceId: number): Promise<PitStop[]>;
  /** Laps of a race (optionally one driver), by driver and lap. */
  laps(raceId: number, driverId?: number): Promise<(Lap & { pitStop: boolean | null })[]>;
  /** Per car and race with lap data in seasons from..to: start tyre and stops. */
  carStrategies(range: { fromSeason: number; toSeason: number }): Promise<CarStrategy[]>;
  driverStandings(raceId: number): Promise<Standing[]>;
  constructorStandings(raceId: number): Promise<Standing[]>;
  constructorResults(raceId: number): Promise<ConstructorRaceResult[]>;
  /** OpenF1 weather samples of a race weekend, by session then time; empty where none was ingested. */
  sessionWeather(raceId: number): Promise<SessionWeatherSample[]>;
  /** OpenF1 race control messages of a race weekend, by session, instant, then text; empty where none was ingested. */
  raceControl(raceId: number): Promise<RaceControlMessage[]>;
}

const num = (v: unknown) => Number(v);
const text = (v: unknown) => (v == null ? null : String(v));

function toColumns(table: ReferenceTable, rows: Record<string, unknown>[]): { rows: Record<string, unknown>[]; columns: string[] } {
  const map = columnsOf[table];
  // Only the fields some row carries: a source without a field must not null it out.
  const present = Object.keys(map).filter((f) => rows.some((r) => r[f] !== undefined));
  const columns = present.map((f) => map[f]!);
  return {
    columns,
    rows: rows.map((r) => {
      const out: Record<string, unknown> = {};
      for (const f of present) out[map[f]!] = r[f] ?? null;
      return out;
    }),
  };
}

function mapResult(r: Record<string, unknown>): RaceResult {
  return {
    raceId: num(r.race_id), driverId: num(r.driver_id), constructorId: num(r.constructor_id), number: numberOrNull(r.number),
    grid: num(r.grid), position: numberOrNull(r.position), positionText: String(r.position_text),
    positionOrder: num(r.position_order), points: num(r.points), laps: num(r.laps), timeText: text(r.time_text),
    milliseconds: numberOrNull(r.milliseconds), fastestLap: numberOrNull(r.fastest_lap),
    fastestLapRank: numberOrNull(r.fastest_lap_rank), fastestLapTime: text(r.fastest_lap_time),
    fastestLapSpeed: numberOrNull(r.fastest_lap_speed), status: String(r.status),
  };
}

function mapStanding(idColumn: string) {
  return (r: Record<string, unknown>): Standing => ({
    raceId: num(r.race_id), entityId: num(r[idColumn]), points: num(r.points), position: numberOrNull(r.position),
    positionText: text(r.position_text), wins: num(r.wins),
  });
}

export function createReferenceStore(db: Knex | Knex.Transaction): ReferenceStore {
  const withStatus = (table: string) =>
    db(table).join('status', 'status.id', `${table}.status_id`).select(`${table}.*`, 'status.status as status');
  return {
    async upsert(table, rows) {
      const { rows: out, columns } = toColumns(table, rows);
      return upsertRows(db, specs[table], out, columns);
    },
    async ensure(table, values) {
      if (values.length === 0) return;
      const col = table === 'seasons' ? 'year' : 'status';
      await db(table).insert(values.map((v) => ({ [col]: v }))).onConflict(col).ignore();
    },
    async keys() {
      const pairs = async (table: string, key: string) =>
        new Map((await db(table).select(key, 'id')).map((r: Record<string, unknown>) => [String(r[key]), num(r.id)]));
      const races = new Map(
        (await db('races').select('season', 'round', 'id')).map((r: Record<string, unknown>) => [`${r.season}/${r.round}`, num(r.id)]),
      );
      return {
        circuits: await pairs('circuits', 'circuit_ref'),
        drivers: await pairs('drivers', 'driver_ref'),
        constructors: await pairs('constructors', 'constructor_ref'),
        status: await pairs('status', 'status'),
        races,
      };
    },
    async raceEntrants(range = {}) {
      const q = db('results')
        .join('races', 'races.id', 'results.race_id')
        .join('drivers', 'drivers.id', 'results.driver_id')
        .join('status', 'status.id', 'results.status_id')
        .select('races.season', 'races.round', 'races.id as race_id', 'drivers.driver_ref', 'drivers.code', 'results.number', 'results.laps', 'status.status');
      if (range.fromSeason !== undefined) q.where('races.season', '>=', range.fromSeason);
      if (range.toSeason !== undefined) q.where('races.season', '<=', range.toSeason);
      return (await q).map((r: Record<string, unknown>) => ({
        season: num(r.season), round: num(r.round), raceId: num(r.race_id), driverRef: String(r.driver_ref),
        code: text(r.code), number: numberOrNull(r.number), laps: num(r.laps), status: String(r.status),
      }));
    },
    async rowCounts() {
      const out = {} as Record<ReferenceTable, number>;
      for (const table of Object.keys(columnsOf) as ReferenceTable[]) {
        const [row] = await db(table).count({ n: '*' });
        out[table] = Number(row?.n ?? 0);
      }
      return out;
    },
    async circuits() {
      return (await db('circuits').orderBy('circuit_ref')).map((r: Record<string, unknown>) => ({
        id: num(r.id), circuitRef: String(r.circuit_ref), name: String(r.name), location: text(r.location),
        country: text(r.country), lat: numberOrNull(r.lat), lng: numberOrNull(r.lng), alt: numberOrNull(r.alt), url: text(r.url),
      }));
    },
    async drivers() {
      return (await db('drivers').orderBy('driver_ref')).map((r: Record<string, unknown>) => ({
        id: num(r.id), driverRef: String(r.driver_ref), number: numberOrNull(r.number), code: text(r.code),
        forename: String(r.forename), surname: String(r.surname), dob: dateOrNull(r.dob), nationality: text(r.nationality),
        url: text(r.url),
      }));
    },
    async constructors() {
      return (await db('constructors').orderBy('constructor_ref')).map((r: Record<string, unknown>) => ({
        id: num(r.id), constructorRef: String(r.constructor_ref), name: String(r.name), nationality: text(r.nationality),
        url: text(r.url),
      }));
    },
    async results(raceId) {
      return (await withStatus('results').where('results.race_id', raceId).orderBy('position_order')).map(mapResult);
    },
    async seasonResults(season) {
      const rows = await withStatus('results')
        .join('races', 'races.id', 'results.race_id')
        .where('races.season', season)
        .orderBy([{ column: 'races.round' }, { column: 'results.position_order' }]);
      return rows.map(mapResult);
    },
    async sprintResults(raceId) {
      const rows = await withStatus('sprint_results').where('sprint_results.race_id', raceId).orderBy('position_order');
      return rows.map((r: Record<string, unknown>) => {
        const { fastestLapRank: _a, fastestLapSpeed: _b, ...rest } = mapResult(r);
        return rest;
      });
    },
    async qualifying(raceId) {
      return (await db('qualifying').where({ race_id: raceId }).orderBy('position')).map((r: Record<string, unknown>) => ({
        raceId: num(r.race_id), driverId: num(r.driver_id), constructorId: num(r.constructor_id), number: numberOrNull(r.number),
        position: num(r.position), q1: text(r.q1), q2: text(r.q2), q3: text(r.q3), q1Ms: numberOrNull(r.q1_ms),
        q2Ms: numberOrNull(r.q2_ms), q3Ms: numberOrNull(r.q3_ms),
      }));
    },
    async pitStops(raceId) {
      return (await db('pit_stops').where({ race_id: raceId }).orderBy(['driver_id', 'stop'])).map((r: Record<string, unknown>) => ({
        raceId: num(r.race_id), driverId: num(r.driver_id), stop: num(r.stop), lap: num(r.lap), localTime: text(r.local_time),
        duration: text(r.duration), milliseconds: numberOrNull(r.milliseconds),
      }));
    },
    async laps(raceId, driverId) {
      const q = db('laps').where({ race_id: raceId }).orderBy(['driver_id', 'lap']);
      if (driverId !== undefined) q.where({ driver_id: driverId });
      return (await q).map((r: Record<string, unknown>) => ({
        raceId: num(r.race_id), driverId: num(r.driver_id), lap: num(r.lap), position: numberOrNull(r.position),
        timeMs: numberOrNull(r.time_ms), compound: (r.compound as Lap['compound']) ?? null, stint: numberOrNull(r.stint),
        tyreLife: numberOrNull(r.tyre_life), freshTyre: (r.fresh_tyre as boolean | null) ?? null,
        trackStatus: text(r.track_status), pitIn: (r.pit_in as boolean | null) ?? null, pitOut: (r.pit_out as boolean | null) ?? null,
        pitStop: (r.pit_stop as boolean | null) ?? null, sources: (r.sources as string[]) ?? [],
      }));
    },
    async carStrategies({ fromSeason, toSeason }) {
      const rows = (await db('laps as l')
        .join('races as r', 'r.id', 'l.race_id')
        .whereBetween('r.season', [fromSeason, toSeason])
        .groupBy('l.race_id', 'l.driver_id', 'r.season', 'r.round', 'r.circuit_id')
        .select(
          'r.season', 'r.round', 'r.circuit_id', 'l.race_id', 'l.driver_id',
          db.raw('(array_agg(l.compound order by l.lap))[1] as start_compound'),
          db.raw('coalesce(array_agg(l.lap order by l.lap) filter (where l.pit_stop), array[]::integer[]) as stops'),
          db.raw('count(*) as laps_completed'),
          db.raw('max(l.lap) as last_lap'),
        )
        .orderBy(['r.season', 'r.round', 'l.driver_id'])) as Record<string, unknown>[];
      const distance = new Map<number, number>();
      for (const r of rows) distance.set(num(r.race_id), Math.max(distance.get(num(r.race_id)) ?? 0, num(r.last_lap)));
      return rows.map((r) => {
        const compound = (r.start_compound as Compound | null) ?? null;
        return {
          season: num(r.season), round: num(r.round), circuitId: num(r.circuit_id), totalLaps: distance.get(num(r.race_id))!,
          startCompound: compound === 'UNKNOWN' ? null : compound, stops: (r.stops as unknown[]).map(num), lapsCompleted: num(r.laps_completed),
        };
      });
    },
    async driverStandings(raceId) {
      return (await db('driver_standings').where({ race_id: raceId }).orderBy('position')).map(mapStanding('driver_id'));
    },
    async constructorStandings(raceId) {
      return (await db('constructor_standings').where({ race_id: raceId }).orderBy('position')).map(mapStanding('constructor_id'));
    },
    async constructorResults(raceId) {
      return (await db('constructor_results').where({ race_id: raceId }).orderBy('constructor_id')).map((r: Record<string, unknown>) => ({
        raceId: num(r.race_id), constructorId: num(r.constructor_id), points: numberOrNull(r.points), status: text(r.status),
      }));
    },
    async sessionWeather(raceId) {
      return (await db('session_weather').where({ race_id: raceId }).orderBy(['session', 'sampled_at'])).map((r: Record<string, unknown>) => ({
        raceId: num(r.race_id), session: r.session as WeatherSession, sessionKey: num(r.session_key),
        sampledAt: new Date(r.sampled_at as string).toISOString(), airTemperature: numberOrNull(r.air_temperature),
        trackTemperature: numberOrNull(r.track_temperature), humidity: numberOrNull(r.humidity), pressure: numberOrNull(r.pressure),
        rainfall: numberOrNull(r.rainfall), windDirection: numberOrNull(r.wind_direction), windSpeed: numberOrNull(r.wind_speed),
      }));
    },
    async raceControl(raceId) {
      // COLLATE "C": the in-memory store orders texts by code unit, as JavaScript does.
      return (await db('race_control').where({ race_id: raceId }).orderBy(['session', 'issued_at']).orderByRaw('message COLLATE "C"')).map((r: Record<string, unknown>) => ({
        raceId: num(r.race_id), session: r.session as RaceControlSession, sessionKey: num(r.session_key),
        at: new Date(r.issued_at as string).toISOString(), lap: numberOrNull(r.lap), driverId: numberOrNull(r.driver_id),
        category: String(r.category), flag: text(r.flag), scope: text(r.scope), sector: numberOrNull(r.sector), message: String(r.message),
      }));
    },
  };
}
