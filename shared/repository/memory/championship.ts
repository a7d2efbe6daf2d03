import { byOdds, type ChampionshipOddsSet, type ChampionshipStore } from '../championship-store.js';
import { copy, jsonb, type Session } from './tables.js';

/** The championship odds in memory (migrations/016): one set per (season, round), replaced whole. */
export function createMemoryChampionshipStore(s: Session): ChampionshipStore {
  const key = (season: number, round: number) => `${season}:${round}`;
  const sets = (season: number) =>
    s.tables.rows('championship_odds').map((r) => r.set as ChampionshipOddsSet).filter((x) => x.season === season).sort((a, b) => a.round - b.round);
  const out = (x: ChampionshipOddsSet | undefined) => (x ? { ...copy(x), entries: copy(x.entries).sort(byOdds) } : undefined);
  return {
    async replace(set) {
      s.write('championship_odds', key(set.season, set.round), { set: { ...jsonb(set), computedAt: s.now() } });
    },
    async get(season, round) {
      return out(s.tables.get('championship_odds', key(season, round))?.set as ChampionshipOddsSet | undefined);
    },
    async latest(season) {
      return out(sets(season).at(-1));
    },
    async titleHistory(season) {
      return sets(season).flatMap((x) => [...x.entries].sort(byOdds).map((e) => ({ round: x.round, entity: e.entity, entityId: e.entityId, pTitle: e.pTitle })));
    },
  };
}
