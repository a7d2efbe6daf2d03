import type { Knex } from 'knex';
import { upsertRows, type UpsertCounts, type UpsertSpec } from './reference-upsert.js';

/**
 * Live timing (migrations/013): a car's position and gaps at an instant of the running race.
 * A sample from /position carries the position only, one from /intervals the gaps only; both
 * at the same instant make one row.
 */
export interface LiveTimingRow {
  raceId: number;
  driverId: number;
  /** ISO instant of OpenF1's sample. */
  at: string;
  position: number | null;
  gapToLeaderMs: number | null;
  /** Laps behind the leader when OpenF1 says "+N LAP" (gapToLeaderMs is null then). */
  lapsDown: number | null;
  intervalMs: number | null;
  /** Laps behind the car ahead when OpenF1 says "+N LAP" for the interval. */
  intervalLaps: number | null;
}

/** A car as known at an instant: its latest position and its latest gaps, each with its own instant. */
export interface LiveTimingLatest {
  driverId: number;
  position: number | null;
  positionAt: string | null;
  gapToLeaderMs: number | null;
  lapsDown: number | null;
  intervalMs: number | null;
  intervalLaps: number | null;
  gapAt: string | null;
}

export interface LiveTimingStore {
  /** Natural-key upsert on (race, driver, at), counted per key; a null does not erase a value an earlier sample of the instant gave. */
  upsert(rows: readonly LiveTimingRow[]): Promise<UpsertCounts>;
  /** Per driver of the race, the latest position and the latest gaps at or before `atOrBefore` (default: all), by driver id. */
  latest(raceId: number, atOrBefore?: string): Promise<LiveTimingLatest[]>;
}

const spec: UpsertSpec = { table: 'live_timing', key: ['race_id', 'driver_id', 'at'], mode: 'merge' };
const columns = ['race_id', 'driver_id', 'at', 'position', 'gap_to_leader_ms', 'laps_down', 'interval_ms', 'interval_laps'];
/** A row carries gaps when OpenF1's /intervals gave any of them. */
const hasGap = (r: { gapToLeaderMs: number | null; lapsDown: number | null; intervalMs: number | null; intervalLaps: number | null }) =>
  r.gapToLeaderMs !== null || r.lapsDown !== null || r.intervalMs !== null || r.intervalLaps !== null;

/** Folds a driver's rows (oldest first) into what is known at the last of them. */
export function foldLatest(driverId: number, rows: readonly LiveTimingRow[]): LiveTimingLatest {
  const out: LiveTimingLatest = { driverId, position: null, positionAt: null, gapToLeaderMs: null, lapsDown: null, intervalMs: null, intervalLaps: null, gapAt: null };
  for (const r of rows) {
    if (r.position !== null) Object.assign(out, { position: r.position, positionAt: r.at });
    if (hasGap(r)) Object.assign(out, { gapToLeaderMs: r.gapToLeaderMs, lapsDown: r.lapsDown, intervalMs: r.intervalMs, intervalLaps: r.intervalLaps, gapAt: r.at });
  }
  return out;
}

/** Rows of one key in a batch become one (a later non-null wins): one INSERT may not touch a row twice. */
export function mergeSamples(rows: readonly LiveTimingRow[]): LiveTimingRow[] {
  const byKey = new Map<string, LiveTimingRow>();
  for (const r of rows) {
    const key = `${r.raceId}/${r.driverId}/${Date.parse(r.at)}`;
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { ...r });
    else for (const f of ['position', 'gapToLeaderMs', 'lapsDown', 'intervalMs', 'intervalLaps'] as const) seen[f] = r[f] ?? seen[f];
  }
  return [...byKey.values()];
}

const iso = (v: unknown) => new Date(v as string).toISOString();
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function createLiveTimingStore(db: Knex | Knex.Transaction): LiveTimingStore {
  return {
    async upsert(rows) {
      const snake = mergeSamples(rows).map((r) => ({
        race_id: r.raceId, driver_id: r.driverId, at: iso(r.at), position: r.position,
        gap_to_leader_ms: r.gapToLeaderMs, laps_down: r.lapsDown, interval_ms: r.intervalMs, interval_laps: r.intervalLaps,
      }));
      // COPY needs a transaction (its staging table drops on commit).
      return db.isTransaction ? upsertRows(db, spec, snake, columns) : db.transaction((trx) => upsertRows(trx, spec, snake, columns));
    },
    async latest(raceId, atOrBefore) {
      const base = () => {
        const q = db('live_timing').where({ race_id: raceId });
        return atOrBefore ? q.where('at', '<=', new Date(atOrBefore)) : q;
      };
      const positions = (await base()
        .whereNotNull('position')
        .distinctOn('driver_id')
        .orderBy([{ column: 'driver_id' }, { column: 'at', order: 'desc' }])
        .select('driver_id', 'at', 'position')) as Record<string, unknown>[];
      const gaps = (await base()
        .where((w) => w.whereNotNull('gap_to_leader_ms').orWhereNotNull('laps_down').orWhereNotNull('interval_ms').orWhereNotNull('interval_laps'))
        .distinctOn('driver_id')
        .orderBy([{ column: 'driver_id' }, { column: 'at', order: 'desc' }])
        .select('driver_id', 'at', 'gap_to_leader_ms', 'laps_down', 'interval_ms', 'interval_laps')) as Record<string, unknown>[];
      const byDriver = new Map<number, LiveTimingLatest>();
      const of = (id: number) => {
        let l = byDriver.get(id);
        if (!l) byDriver.set(id, (l = foldLatest(id, [])));
        return l;
      };
      for (const p of positions) Object.assign(of(Number(p.driver_id)), { position: Number(p.position), positionAt: iso(p.at) });
      for (const g of gaps) {
        Object.assign(of(Number(g.driver_id)), {
          gapToLeaderMs: num(g.gap_to_leader_ms), lapsDown: num(g.laps_down), intervalMs: num(g.interval_ms), intervalLaps: num(g.interval_laps), gapAt: iso(g.at),
        });
      }
      return [...byDriver.values()].sort((a, b) => a.driverId - b.driverId);
    },
  };
}
