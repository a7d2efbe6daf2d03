import type { Knex } from 'knex';
import type { Race, SessionName, SessionTime } from '../domain/reference.js';
import { dateOrNull, dateString, timeOrNull } from './rows.js';

export interface RacesStore {
  byId(id: number): Promise<Race | undefined>;
  bySeasonRound(season: number, round: number): Promise<Race | undefined>;
  listSeason(season: number): Promise<Race[]>;
  /** All races in calendar order, optionally within [fromSeason, toSeason]. */
  list(range?: { fromSeason?: number; toSeason?: number }): Promise<Race[]>;
  /** Seasons that have races, newest first. */
  seasons(): Promise<number[]>;
  /** The last race of the calendar. */
  latest(): Promise<Race | undefined>;
}

const sessionColumns: [SessionName, string][] = [
  ['fp1', 'fp1'],
  ['fp2', 'fp2'],
  ['fp3', 'fp3'],
  ['qualifying', 'quali'],
  ['sprint', 'sprint'],
];

export function mapRace(row: Record<string, unknown>): Race {
  const sessions: Race['sessions'] = {
    race: { date: dateString(row.race_date), time: timeOrNull(row.race_time) },
  };
  for (const [name, col] of sessionColumns) {
    const date = dateOrNull(row[`${col}_date`]);
    if (date) sessions[name] = { date, time: timeOrNull(row[`${col}_time`]) } satisfies SessionTime;
  }
  return {
    id: Number(row.id),
    season: Number(row.season),
    round: Number(row.round),
    circuitId: Number(row.circuit_id),
    name: String(row.name),
    url: (row.url as string | null) ?? null,
    sessions,
  };
}

export function createRacesStore(db: Knex | Knex.Transaction): RacesStore {
  const races = () => db('races');
  return {
    async byId(id) {
      const row = await races().where({ id }).first();
      return row ? mapRace(row) : undefined;
    },
    async bySeasonRound(season, round) {
      const row = await races().where({ season, round }).first();
      return row ? mapRace(row) : undefined;
    },
    async listSeason(season) {
      return (await races().where({ season }).orderBy('round')).map(mapRace);
    },
    async list(range = {}) {
      const q = races().orderBy([{ column: 'season' }, { column: 'round' }]);
      if (range.fromSeason !== undefined) q.where('season', '>=', range.fromSeason);
      if (range.toSeason !== undefined) q.where('season', '<=', range.toSeason);
      return (await q).map(mapRace);
    },
    async seasons() {
      const rows = await races().distinct('season').orderBy('season', 'desc');
      return rows.map((r: { season: number }) => Number(r.season));
    },
    async latest() {
      const row = await races().orderBy([{ column: 'season', order: 'desc' }, { column: 'round', order: 'desc' }]).first();
      return row ? mapRace(row) : undefined;
    },
  };
}
