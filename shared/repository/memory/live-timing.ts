import { foldLatest, mergeSamples, type LiveTimingRow, type LiveTimingStore } from '../live-timing-store.js';
import type { UpsertCounts } from '../reference-upsert.js';
import { ConstraintError, type Session } from './tables.js';

const fields = ['position', 'gapToLeaderMs', 'lapsDown', 'intervalMs', 'intervalLaps'] as const;

/** Live timing in memory, with migrations/013's foreign keys, checks and natural key (race, driver, at). */
export function createMemoryLiveTimingStore(s: Session): LiveTimingStore {
  const t = s.tables;
  const keyOf = (r: { raceId: number; driverId: number; at: string }) => `${r.raceId}/${r.driverId}/${Date.parse(r.at)}`;
  const refuse = (r: LiveTimingRow) => {
    if (!t.get('races', r.raceId)) throw new ConstraintError(`insert or update on table "live_timing" violates foreign key (race ${r.raceId} does not exist)`, '23503');
    if (!t.get('drivers', r.driverId)) throw new ConstraintError(`insert or update on table "live_timing" violates foreign key (driver ${r.driverId} does not exist)`, '23503');
    const low = { position: 1, gapToLeaderMs: 0, lapsDown: 1, intervalMs: 0, intervalLaps: 1 } as const;
    for (const f of fields) {
      const v = r[f];
      if (v !== null && v < low[f]) throw new ConstraintError(`new row for relation "live_timing" violates check constraint (${f} ${v})`, '23514');
    }
  };
  return {
    async upsert(rows) {
      const counts: UpsertCounts = { inserted: 0, updated: 0, unchanged: 0 };
      // One statement in SQL: a refused row leaves none of the batch behind.
      await s.transaction(async (tx) => {
        for (const r of mergeSamples(rows)) {
          refuse(r);
          const key = keyOf(r);
          const stored = t.get('live_timing', key) as LiveTimingRow | undefined;
          const at = new Date(r.at).toISOString();
          if (!stored) {
            tx.write('live_timing', key, { raceId: r.raceId, driverId: r.driverId, at, ...Object.fromEntries(fields.map((f) => [f, r[f]])) });
            counts.inserted++;
            continue;
          }
          const merged = { ...stored, ...Object.fromEntries(fields.map((f) => [f, r[f] ?? stored[f]])) };
          if (fields.every((f) => merged[f] === stored[f])) counts.unchanged++;
          else {
            tx.write('live_timing', key, merged);
            counts.updated++;
          }
        }
      });
      return counts;
    },
    async latest(raceId, atOrBefore) {
      const until = atOrBefore === undefined ? Number.POSITIVE_INFINITY : Date.parse(atOrBefore);
      const rows = (t.rows('live_timing') as unknown as LiveTimingRow[])
        .filter((r) => r.raceId === raceId && Date.parse(r.at) <= until)
        .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
      const byDriver = new Map<number, LiveTimingRow[]>();
      for (const r of rows) byDriver.set(r.driverId, [...(byDriver.get(r.driverId) ?? []), r]);
      return [...byDriver.entries()].sort(([a], [b]) => a - b).map(([id, list]) => foldLatest(id, list));
    },
  };
}
