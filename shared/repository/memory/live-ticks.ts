import type { LiveTick } from '../../live/types.js';
import { pageLimit, type LiveTicksStore, type StoredLiveTick } from '../live-ticks-store.js';
import { ConstraintError, copy, jsonb, type Session } from './tables.js';

interface Row {
  tick: StoredLiveTick;
  at: number;
  createdAt: number;
}

/** Live ticks in memory, with migrations/014's foreign key and natural key (race, at). */
export function createMemoryLiveTicksStore(s: Session): LiveTicksStore {
  const t = s.tables;
  const rowsOf = (raceId: number) => (t.rows('live_ticks') as unknown as Row[]).filter((r) => r.tick.raceId === raceId).sort((a, b) => a.tick.id - b.tick.id);
  return {
    async append(tick: LiveTick) {
      if (!t.get('races', tick.raceId)) throw new ConstraintError(`insert or update on table "live_ticks" violates foreign key (race ${tick.raceId} does not exist)`, '23503');
      const at = new Date(tick.at).getTime();
      const existing = rowsOf(tick.raceId).find((r) => r.at === at);
      if (existing) return copy(existing.tick);
      const id = t.nextId('live_ticks');
      const { id: _id, ...payload } = tick;
      const stored: StoredLiveTick = { ...jsonb(payload), id };
      s.write('live_ticks', id, { tick: stored, at, createdAt: s.now().getTime() });
      return copy(stored);
    },
    async clearReplay(raceId) {
      const replayed = rowsOf(raceId).filter((r) => r.tick.source === 'replay');
      for (const r of replayed) s.delete('live_ticks', r.tick.id);
      return replayed.length;
    },
    async hasLiveSession(raceId) {
      return rowsOf(raceId).some((r) => r.tick.source === 'openf1');
    },
    async latest(raceId) {
      const last = rowsOf(raceId).at(-1);
      return last ? copy(last.tick) : undefined;
    },
    async list(raceId, options = {}) {
      return rowsOf(raceId)
        .filter((r) => r.tick.id > (options.afterId ?? 0))
        .slice(0, pageLimit(options.limit))
        .map((r) => copy(r.tick));
    },
    async history(raceId) {
      return rowsOf(raceId).map((r) => ({ id: r.tick.id, lap: r.tick.state.lap, at: new Date(r.at).toISOString(), finish: copy(r.tick.finish) }));
    },
    async liveRaces(withinMs) {
      const since = s.now().getTime() - withinMs;
      const latest = new Map<number, Row>();
      for (const r of t.rows('live_ticks') as unknown as Row[]) {
        const seen = latest.get(r.tick.raceId);
        if (!seen || r.tick.id > seen.tick.id) latest.set(r.tick.raceId, r);
      }
      return [...latest.values()]
        .filter((r) => r.createdAt >= since)
        .sort((a, b) => b.createdAt - a.createdAt || b.tick.id - a.tick.id)
        .map((r) => copy(r.tick));
    },
  };
}
