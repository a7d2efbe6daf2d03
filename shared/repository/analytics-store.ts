import type { Knex } from 'knex';
import type { AnalyticsLap, AnalyticsQualifying, AnalyticsResult, CircuitResult, SeasonData } from '../analytics/inputs.js';
import type { Compound } from '../domain/reference.js';
import { timingMs } from '../domain/timing.js';
import type { RacesStore } from './races-store.js';
import { mapRace } from './races-store.js';
import type { ReferenceStore } from './reference-store.js';
import { numberOrNull } from './rows.js';

/**
 * The reads of the driver and team analytics (shared/analytics): one season's rows in a few
 * set queries (not a query per race), and a driver's or team's results at a circuit over
 * every stored season.
 */
export interface AnalyticsStore {
  season(season: number): Promise<SeasonData>;
  circuitResults(circuitId: number, who: { driverId: number } | { constructorId: number }): Promise<CircuitResult[]>;
}

const num = (v: unknown) => Number(v);
const text = (v: unknown) => (v == null ? null : String(v));
/** A qualifying time: the stored milliseconds, else parsed from the text (as the history store reads them). */
const qualiMs = (ms: unknown, t: unknown) => numberOrNull(ms) ?? timingMs(text(t));
const withTimes = <T extends AnalyticsQualifying & { q1?: string | null; q2?: string | null; q3?: string | null }>(q: T): AnalyticsQualifying => ({
  raceId: q.raceId, driverId: q.driverId, constructorId: q.constructorId, position: q.position,
  q1Ms: q.q1Ms ?? timingMs(q.q1), q2Ms: q.q2Ms ?? timingMs(q.q2), q3Ms: q.q3Ms ?? timingMs(q.q3),
});

const resultColumns = ['r.race_id', 'r.driver_id', 'r.constructor_id', 'r.grid', 'r.position', 'r.position_text', 'r.position_order', 'r.points', 'r.laps', 's.status'];
const mapResult = (r: Record<string, unknown>): AnalyticsResult => ({
  raceId: num(r.race_id), driverId: num(r.driver_id), constructorId: num(r.constructor_id), grid: num(r.grid), position: numberOrNull(r.position),
  positionText: String(r.position_text), positionOrder: num(r.position_order), points: num(r.points), laps: num(r.laps), status: String(r.status),
});

export function createAnalyticsStore(db: Knex | Knex.Transaction): AnalyticsStore {
  const ofSeason = (table: string, season: number) => db(`${table} as t`).join('races as ra', 'ra.id', 't.race_id').where('ra.season', season);
  return {
    async season(season) {
      // Sequential on purpose: inside a transaction there is one connection (PGlite always).
      const races = (await db('races').where({ season }).orderBy('round')).map(mapRace);
      const results = (await db('results as r').join('races as ra', 'ra.id', 'r.race_id').join('status as s', 's.id', 'r.status_id').where('ra.season', season).select(resultColumns).orderBy(['ra.round', 'r.position_order'])).map(mapResult);
      const sprintResults = (await ofSeason('sprint_results', season).select('t.race_id', 't.driver_id', 't.constructor_id', 't.points')).map((r: Record<string, unknown>) => ({
        raceId: num(r.race_id), driverId: num(r.driver_id), constructorId: num(r.constructor_id), points: num(r.points),
      }));
      const qualifying = (await ofSeason('qualifying', season).select('t.race_id', 't.driver_id', 't.constructor_id', 't.position', 't.q1', 't.q2', 't.q3', 't.q1_ms', 't.q2_ms', 't.q3_ms')).map(
        (r: Record<string, unknown>): AnalyticsQualifying => ({
          raceId: num(r.race_id), driverId: num(r.driver_id), constructorId: num(r.constructor_id), position: num(r.position),
          q1Ms: qualiMs(r.q1_ms, r.q1), q2Ms: qualiMs(r.q2_ms, r.q2), q3Ms: qualiMs(r.q3_ms, r.q3),
        }),
      );
      const laps = (await ofSeason('laps', season).select('t.race_id', 't.driver_id', 't.lap', 't.time_ms', 't.compound', 't.stint', 't.tyre_life', 't.track_status', 't.pit_in', 't.pit_out').orderBy(['t.race_id', 't.driver_id', 't.lap'])).map(
        (r: Record<string, unknown>): AnalyticsLap => ({
          raceId: num(r.race_id), driverId: num(r.driver_id), lap: num(r.lap), timeMs: numberOrNull(r.time_ms), compound: (r.compound as Compound | null) ?? null,
          stint: numberOrNull(r.stint), tyreLife: numberOrNull(r.tyre_life), trackStatus: text(r.track_status),
          pitIn: (r.pit_in as boolean | null) ?? null, pitOut: (r.pit_out as boolean | null) ?? null,
        }),
      );
      const pitStops = (await ofSeason('pit_stops', season).select('t.race_id', 't.driver_id', 't.stop', 't.lap', 't.milliseconds')).map((r: Record<string, unknown>) => ({
        raceId: num(r.race_id), driverId: num(r.driver_id), stop: num(r.stop), lap: num(r.lap), milliseconds: numberOrNull(r.milliseconds),
      }));
      const standings = async (table: string, entity: string) =>
        (await ofSeason(table, season).select('t.race_id', `t.${entity} as entity_id`, 't.points', 't.position', 't.position_text', 't.wins')).map((r: Record<string, unknown>) => ({
          raceId: num(r.race_id), entityId: num(r.entity_id), points: num(r.points), position: numberOrNull(r.position), positionText: text(r.position_text), wins: num(r.wins),
        }));
      const driverStandings = await standings('driver_standings', 'driver_id');
      const constructorStandings = await standings('constructor_standings', 'constructor_id');
      const raceControl = (await ofSeason('race_control', season).where('t.session', 'race').select('t.race_id', 't.issued_at', 't.lap', 't.category', 't.flag', 't.scope', 't.sector', 't.message')).map(
        (r: Record<string, unknown>) => ({
          raceId: num(r.race_id), at: new Date(r.issued_at as string).toISOString(), lap: numberOrNull(r.lap), category: String(r.category),
          flag: text(r.flag), scope: text(r.scope), sector: numberOrNull(r.sector), message: String(r.message),
        }),
      );
      return { season, races, results, sprintResults, qualifying, laps, pitStops, driverStandings, constructorStandings, raceControl };
    },
    async circuitResults(circuitId, who) {
      const q = db('results as r')
        .join('races as ra', 'ra.id', 'r.race_id')
        .join('status as s', 's.id', 'r.status_id')
        .where('ra.circuit_id', circuitId)
        .select([...resultColumns, 'ra.season', 'ra.round', 'ra.name as race_name'])
        .orderBy([{ column: 'ra.season' }, { column: 'ra.round' }, { column: 'r.position_order' }]);
      if ('driverId' in who) q.where('r.driver_id', who.driverId);
      else q.where('r.constructor_id', who.constructorId);
      return (await q).map((r: Record<string, unknown>) => ({ ...mapResult(r), season: num(r.season), round: num(r.round), race: String(r.race_name) }));
    },
  };
}

/**
 * The same reads composed from the races and reference stores, a race at a time: the
 * in-memory repository's analytics (no SQL to batch there).
 */
export function analyticsStoreOver(races: RacesStore, reference: ReferenceStore): AnalyticsStore {
  return {
    async season(season) {
      const list = await races.listSeason(season);
      const perRace = async <T>(read: (raceId: number) => Promise<T[]>) => (await Promise.all(list.map((r) => read(r.id)))).flat();
      return {
        season,
        races: list,
        results: await reference.seasonResults(season),
        sprintResults: await perRace((id) => reference.sprintResults(id)),
        qualifying: (await perRace((id) => reference.qualifying(id))).map(withTimes),
        laps: await perRace((id) => reference.laps(id)),
        pitStops: await perRace((id) => reference.pitStops(id)),
        driverStandings: await perRace((id) => reference.driverStandings(id)),
        constructorStandings: await perRace((id) => reference.constructorStandings(id)),
        raceControl: (await perRace((id) => reference.raceControl(id))).filter((m) => m.session === 'race'),
      };
    },
    async circuitResults(circuitId, who) {
      const atCircuit = (await races.list()).filter((r) => r.circuitId === circuitId);
      const rows = await Promise.all(
        atCircuit.map(async (race) =>
          (await reference.results(race.id))
            .filter((r) => ('driverId' in who ? r.driverId === who.driverId : r.constructorId === who.constructorId))
            .map((r) => ({ ...r, season: race.season, round: race.round, race: race.name })),
        ),
      );
      return rows.flat();
    },
  };
}
