import type { Knex } from 'knex';
import { historyAsOf, toHistoryRace, type History, type HistoryRace } from '../domain/history.js';
import { timingMs } from '../domain/timing.js';
import { mapRace } from './races-store.js';

/**
 * Reads the history the race features need, in a few set queries (the features then join
 * in memory). With `asOf`, only rows known before that instant leave the database:
 * results and standings of races that started before it, qualifying and sprint rows of
 * sessions that started before it.
 */
export interface HistoryStore {
  load(options?: { fromSeason?: number; toSeason?: number; asOf?: Date }): Promise<History>;
  /** A fingerprint of the loaded data (counts and latest race), stored with trained models. */
  snapshotId(): Promise<string>;
}

const num = (v: unknown) => Number(v);
const numOrNull = (v: unknown) => (v == null ? null : Number(v));

export function createHistoryStore(db: Knex | Knex.Transaction): HistoryStore {
  return {
    async load({ fromSeason, toSeason, asOf } = {}) {
      const q = db('races').orderBy([{ column: 'season' }, { column: 'round' }]);
      if (fromSeason !== undefined) q.where('season', '>=', fromSeason);
      if (toSeason !== undefined) q.where('season', '<=', toSeason);
      const raceRows = (await q).map(mapRace);
      const rounds = new Map<number, number>();
      for (const r of raceRows) rounds.set(r.season, Math.max(rounds.get(r.season) ?? 0, r.round));
      const races: HistoryRace[] = raceRows.map((r) => toHistoryRace(r, rounds.get(r.season)!));
      const t = asOf?.getTime() ?? Infinity;
      const ids = (pick: (r: HistoryRace) => number | undefined) => races.filter((r) => (pick(r) ?? Infinity) < t).map((r) => r.id);
      const raced = ids((r) => r.raceStart.getTime());
      const qualified = ids((r) => r.qualiStart.getTime());
      const sprinted = ids((r) => r.sprintStart?.getTime());

      // Sequential on purpose: inside a transaction there is one connection (PGlite always).
      const results = raced.length
        ? await db('results as r')
            .join('status as s', 's.id', 'r.status_id')
            .whereIn('r.race_id', raced)
            .select('r.race_id', 'r.driver_id', 'r.constructor_id', 'r.grid', 'r.position', 'r.position_order', 'r.points', 'r.laps', 'r.milliseconds', 's.status')
        : [];
      const qualifying = qualified.length
        ? await db('qualifying').whereIn('race_id', qualified).select('race_id', 'driver_id', 'constructor_id', 'position', 'q1', 'q2', 'q3', 'q1_ms', 'q2_ms', 'q3_ms')
        : [];
      const sprints = sprinted.length
        ? await db('sprint_results').whereIn('race_id', sprinted).select('race_id', 'driver_id', 'constructor_id', 'position_order', 'points')
        : [];
      const driverStandings = raced.length
        ? await db('driver_standings').whereIn('race_id', raced).select('race_id', 'driver_id as entity_id', 'points', 'position')
        : [];
      const constructorStandings = raced.length
        ? await db('constructor_standings').whereIn('race_id', raced).select('race_id', 'constructor_id as entity_id', 'points', 'position')
        : [];

      const history: History = {
        races,
        results: results.map((r: Record<string, unknown>) => ({
          raceId: num(r.race_id),
          driverId: num(r.driver_id),
          constructorId: num(r.constructor_id),
          grid: num(r.grid),
          position: numOrNull(r.position),
          positionOrder: num(r.position_order),
          points: num(r.points),
          laps: num(r.laps),
          milliseconds: numOrNull(r.milliseconds),
          status: String(r.status),
        })),
        qualifying: qualifying.map((r: Record<string, unknown>) => {
          const times = [
            numOrNull(r.q1_ms) ?? timingMs(r.q1 as string | null),
            numOrNull(r.q2_ms) ?? timingMs(r.q2 as string | null),
            numOrNull(r.q3_ms) ?? timingMs(r.q3 as string | null),
          ].filter((x): x is number => x !== null);
          return {
            raceId: num(r.race_id),
            driverId: num(r.driver_id),
            constructorId: num(r.constructor_id),
            position: num(r.position),
            bestMs: times.length ? Math.min(...times) : null,
          };
        }),
        sprints: sprints.map((r: Record<string, unknown>) => ({
          raceId: num(r.race_id),
          driverId: num(r.driver_id),
          constructorId: num(r.constructor_id),
          positionOrder: num(r.position_order),
          points: num(r.points),
        })),
        driverStandings: driverStandings.map(mapStanding),
        constructorStandings: constructorStandings.map(mapStanding),
      };
      // The SQL filter above is by race; this also applies the session-level rules.
      return asOf ? historyAsOf(history, asOf) : history;
    },

    async snapshotId() {
      const [counts] = await db.raw(`SELECT
          (SELECT count(*) FROM races) AS races,
          (SELECT count(*) FROM results) AS results,
          (SELECT count(*) FROM qualifying) AS qualifying,
          (SELECT coalesce(max(season * 100 + round), 0) FROM races r WHERE EXISTS (SELECT 1 FROM results x WHERE x.race_id = r.id)) AS latest`)
        .then((r: { rows?: Record<string, unknown>[] } | Record<string, unknown>[]) => (Array.isArray(r) ? r : (r.rows ?? [])));
      const c = counts ?? {};
      const latest = num(c.latest);
      return `races-${num(c.races)}.results-${num(c.results)}.qualifying-${num(c.qualifying)}.latest-${Math.floor(latest / 100)}r${latest % 100}`;
    },
  };
}

function mapStanding(r: Record<string, unknown>) {
  return { raceId: num(r.race_id), entityId: num(r.entity_id), points: num(r.points), position: numOrNull(r.position) };
}
