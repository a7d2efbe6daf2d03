import type { Knex } from 'knex';
import type { LiveFinishOdds, LiveTick } from '../live/types.js';

/** A tick as stored: its id orders the race's ticks and is the SSE event id. */
export type StoredLiveTick = LiveTick & { id: number };

/** One point of a race's live win-probability history: the tick, its lap, each car's finishing odds. */
export interface LiveHistoryPoint {
  id: number;
  lap: number;
  at: string;
  finish: LiveFinishOdds[];
}

/** The most ticks one list() hands out; a caller pages with afterId. */
export const LIVE_TICKS_PAGE_MAX = 1000;

/** The live ticks of races (migrations/014), one per (race, data instant). */
export interface LiveTicksStore {
  /** Stores the tick; a tick of the same race and instant already stored is returned as it was stored (idempotent). */
  append(tick: LiveTick): Promise<StoredLiveTick>;
  /** Drops a race's replayed ticks (a new replay is a new session of the same instants); how many went. */
  clearReplay(raceId: number): Promise<number>;
  /** Whether the race has ticks of a real live session (OpenF1), which a replay must not mix with. */
  hasLiveSession(raceId: number): Promise<boolean>;
  latest(raceId: number): Promise<StoredLiveTick | undefined>;
  /** The race's ticks in id order, after `afterId` (exclusive), at most `limit` (default and cap LIVE_TICKS_PAGE_MAX). */
  list(raceId: number, options?: { afterId?: number; limit?: number }): Promise<StoredLiveTick[]>;
  /** Every tick's lap and finishing odds, in id order: the chart over laps, without the rest of each payload. */
  history(raceId: number): Promise<LiveHistoryPoint[]>;
  /** The latest tick of each race that stored one within the last `withinMs` (the database's clock), newest first. */
  liveRaces(withinMs: number): Promise<StoredLiveTick[]>;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);
export const pageLimit = (limit: number | undefined) => Math.max(1, Math.min(limit ?? LIVE_TICKS_PAGE_MAX, LIVE_TICKS_PAGE_MAX));

/** The payload keeps the tick as computed (its `at` as the poll wrote it); the row's id is the tick's. */
const tickOf = (r: Record<string, unknown>): StoredLiveTick => ({ ...(json(r.payload) as LiveTick), id: Number(r.id) });
const payloadOf = (tick: LiveTick) => {
  const { id: _id, ...rest } = tick;
  return JSON.stringify(rest);
};

export function createLiveTicksStore(db: Knex | Knex.Transaction): LiveTicksStore {
  return {
    async append(tick) {
      const [row] = (await db('live_ticks')
        .insert({ race_id: tick.raceId, at: new Date(tick.at), lap: tick.state.lap, payload: payloadOf(tick) })
        .onConflict(['race_id', 'at'])
        .ignore()
        .returning(['id', 'payload'])) as Record<string, unknown>[];
      if (row) return tickOf(row);
      const existing = await db('live_ticks').where({ race_id: tick.raceId, at: new Date(tick.at) }).first('id', 'payload');
      return tickOf(existing as Record<string, unknown>);
    },
    async clearReplay(raceId) {
      return Number(await db('live_ticks').where({ race_id: raceId }).whereRaw("payload->>'source' = 'replay'").delete());
    },
    async hasLiveSession(raceId) {
      return (await db('live_ticks').where({ race_id: raceId }).whereRaw("payload->>'source' = 'openf1'").first('id')) !== undefined;
    },
    async latest(raceId) {
      const row = await db('live_ticks').where({ race_id: raceId }).orderBy('id', 'desc').first('id', 'payload');
      return row ? tickOf(row as Record<string, unknown>) : undefined;
    },
    async list(raceId, options = {}) {
      const rows = (await db('live_ticks')
        .where({ race_id: raceId })
        .where('id', '>', options.afterId ?? 0)
        .orderBy('id')
        .limit(pageLimit(options.limit))
        .select('id', 'payload')) as Record<string, unknown>[];
      return rows.map(tickOf);
    },
    async history(raceId) {
      const rows = (await db('live_ticks')
        .where({ race_id: raceId })
        .orderBy('id')
        .select('id', 'lap', 'at', db.raw("payload -> 'finish' AS finish"))) as Record<string, unknown>[];
      return rows.map((r) => ({ id: Number(r.id), lap: Number(r.lap), at: new Date(r.at as string).toISOString(), finish: (json(r.finish) ?? []) as LiveFinishOdds[] }));
    },
    async liveRaces(withinMs) {
      const latest = db('live_ticks').distinctOn('race_id').orderBy([{ column: 'race_id' }, { column: 'id', order: 'desc' }]).select('id', 'payload', 'created_at');
      const rows = (await db
        .from(latest.as('latest'))
        .where('created_at', '>=', db.raw("now() - (? * interval '1 millisecond')", [withinMs]))
        .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }])
        .select('id', 'payload')) as Record<string, unknown>[];
      return rows.map(tickOf);
    },
  };
}
