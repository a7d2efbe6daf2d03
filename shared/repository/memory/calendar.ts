import { historyAsOf, toHistoryRace, type History, type HistoryRace } from '../../domain/history.js';
import { timingMs } from '../../domain/timing.js';
import type { HistoryStore } from '../history-store.js';
import type { RacesStore } from '../races-store.js';
import { by, raceOf } from './reference.js';
import type { Row, Session } from './tables.js';

/** Races and the feature history, read from the in-memory reference tables. */

const calendarOrder = by<Row>((r) => r.season, (r) => r.round);

export function createMemoryRacesStore(s: Session): RacesStore {
  const races = () => s.tables.rows('races').sort(calendarOrder);
  return {
    async byId(id) {
      const r = s.tables.get('races', id);
      return r ? raceOf(r) : undefined;
    },
    async bySeasonRound(season, round) {
      const r = races().find((x) => x.season === season && x.round === round);
      return r ? raceOf(r) : undefined;
    },
    async listSeason(season) {
      return races().filter((r) => r.season === season).map(raceOf);
    },
    async list({ fromSeason, toSeason } = {}) {
      return races()
        .filter((r) => (fromSeason === undefined || (r.season as number) >= fromSeason) && (toSeason === undefined || (r.season as number) <= toSeason))
        .map(raceOf);
    },
    async seasons() {
      return [...new Set(races().map((r) => r.season as number))].sort((a, b) => b - a);
    },
    async latest() {
      const all = races();
      return all.length ? raceOf(all[all.length - 1]!) : undefined;
    },
  };
}

export function createMemoryHistoryStore(s: Session): HistoryStore {
  const t = s.tables;
  return {
    async load({ fromSeason, toSeason, asOf } = {}) {
      const raceRows = (await createMemoryRacesStore(s).list({ ...(fromSeason !== undefined ? { fromSeason } : {}), ...(toSeason !== undefined ? { toSeason } : {}) }));
      const rounds = new Map<number, number>();
      for (const r of raceRows) rounds.set(r.season, Math.max(rounds.get(r.season) ?? 0, r.round));
      const races: HistoryRace[] = raceRows.map((r) => toHistoryRace(r, rounds.get(r.season)!));
      const time = asOf?.getTime() ?? Infinity;
      const ids = (start: (r: HistoryRace) => Date | null) => new Set(races.filter((r) => (start(r)?.getTime() ?? Infinity) < time).map((r) => r.id));
      const [raced, qualified, sprinted] = [ids((r) => r.raceStart), ids((r) => r.qualiStart), ids((r) => r.sprintStart)];
      const of = (table: string, within: Set<number>) => t.rows(table).filter((r) => within.has(r.raceId as number));
      const history: History = {
        races,
        results: of('results', raced).map((r) => ({
          raceId: r.raceId as number, driverId: r.driverId as number, constructorId: r.constructorId as number, grid: r.grid as number,
          position: (r.position as number | null) ?? null, positionOrder: r.positionOrder as number, points: r.points as number, laps: r.laps as number,
          milliseconds: (r.milliseconds as number | null) ?? null, status: String(t.get('status', r.statusId as number)?.status),
        })),
        qualifying: of('qualifying', qualified).map((r) => {
          const times = [
            (r.q1Ms as number | null) ?? timingMs(r.q1 as string | null),
            (r.q2Ms as number | null) ?? timingMs(r.q2 as string | null),
            (r.q3Ms as number | null) ?? timingMs(r.q3 as string | null),
          ].filter((x): x is number => x !== null);
          return {
            raceId: r.raceId as number, driverId: r.driverId as number, constructorId: r.constructorId as number, position: r.position as number,
            bestMs: times.length ? Math.min(...times) : null,
          };
        }),
        sprints: of('sprint_results', sprinted).map((r) => ({
          raceId: r.raceId as number, driverId: r.driverId as number, constructorId: r.constructorId as number, positionOrder: r.positionOrder as number, points: r.points as number,
        })),
        driverStandings: of('driver_standings', raced).map((r) => standing(r, 'driverId')),
        constructorStandings: of('constructor_standings', raced).map((r) => standing(r, 'constructorId')),
      };
      return asOf ? historyAsOf(history, asOf) : history;
    },
    async snapshotId() {
      const classified = new Set(t.rows('results').map((r) => r.raceId));
      const latest = Math.max(0, ...t.rows('races').filter((r) => classified.has(r.id)).map((r) => (r.season as number) * 100 + (r.round as number)));
      return `races-${t.count('races')}.results-${t.count('results')}.qualifying-${t.count('qualifying')}.latest-${Math.floor(latest / 100)}r${latest % 100}`;
    },
  };
}

function standing(r: Row, idField: string) {
  return { raceId: r.raceId as number, entityId: r[idField] as number, points: r.points as number, position: (r.position as number | null) ?? null };
}
