import type { Knex } from 'knex';
import type { EntityOdds, PointsHistogram } from '../championship/simulate-championship.js';

export type ChampionshipEntity = 'driver' | 'constructor';

/** One driver's or constructor's odds after a round (migrations/016): the simulation's, keyed by entity. */
export interface ChampionshipOddsEntry extends Omit<EntityOdds, 'id'> {
  entity: ChampionshipEntity;
  entityId: number;
}

/** The odds of a season after one round: every driver and constructor, from one Monte Carlo. */
export interface ChampionshipOddsSet {
  season: number;
  round: number;
  raceId: number;
  /** The learner state the strengths came from (pre-weekend-v1+2024r05). */
  model: string;
  samples: number;
  computedAt: Date;
  entries: ChampionshipOddsEntry[];
}

export interface TitleOddsPoint {
  round: number;
  entity: ChampionshipEntity;
  entityId: number;
  pTitle: number;
}

export interface ChampionshipStore {
  /** Stores a round's set in place of any stored one (a recompute), in one transaction. */
  replace(set: Omit<ChampionshipOddsSet, 'computedAt'>): Promise<void>;
  get(season: number, round: number): Promise<ChampionshipOddsSet | undefined>;
  /** The set of the latest round with odds. */
  latest(season: number): Promise<ChampionshipOddsSet | undefined>;
  /** Every stored round's P(title) of each entity, by round: the chart over the season. */
  titleHistory(season: number): Promise<TitleOddsPoint[]>;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

const entryOf = (r: Record<string, unknown>): ChampionshipOddsEntry => ({
  entity: r.entity as ChampionshipEntity,
  entityId: Number(r.entity_id),
  currentPoints: Number(r.current_points),
  pTitle: Number(r.p_title),
  pTop3: Number(r.p_top3),
  expectedPoints: Number(r.expected_points),
  p10: Number(r.p10),
  p50: Number(r.p50),
  p90: Number(r.p90),
  histogram: json(r.histogram) as PointsHistogram,
});

/** Drivers then constructors, each by P(title) then expected points. */
export const byOdds = (a: ChampionshipOddsEntry, b: ChampionshipOddsEntry): number =>
  (a.entity === b.entity ? 0 : a.entity === 'driver' ? -1 : 1) || b.pTitle - a.pTitle || b.expectedPoints - a.expectedPoints || a.entityId - b.entityId;

export function createChampionshipStore(db: Knex | Knex.Transaction): ChampionshipStore {
  const get = async (season: number, round: number): Promise<ChampionshipOddsSet | undefined> => {
    const rows = (await db('championship_odds').where({ season, round })) as Record<string, unknown>[];
    const first = rows[0];
    if (!first) return undefined;
    return {
      season,
      round,
      raceId: Number(first.race_id),
      model: String(first.model),
      samples: Number(first.samples),
      computedAt: new Date(first.computed_at as string),
      entries: rows.map(entryOf).sort(byOdds),
    };
  };
  return {
    async replace(set) {
      await db.transaction(async (trx) => {
        await trx('championship_odds').where({ season: set.season, round: set.round }).delete();
        if (set.entries.length === 0) return;
        await trx('championship_odds').insert(
          set.entries.map((e) => ({
            season: set.season, round: set.round, race_id: set.raceId, entity: e.entity, entity_id: e.entityId,
            current_points: e.currentPoints, p_title: e.pTitle, p_top3: e.pTop3, expected_points: e.expectedPoints,
            p10: e.p10, p50: e.p50, p90: e.p90, histogram: JSON.stringify(e.histogram), model: set.model, samples: set.samples,
          })),
        );
      });
    },
    get,
    async latest(season) {
      const row = (await db('championship_odds').where({ season }).max('round as round').first()) as { round: number | null } | undefined;
      return row?.round == null ? undefined : get(season, Number(row.round));
    },
    async titleHistory(season) {
      const rows = (await db('championship_odds').where({ season }).orderBy([{ column: 'round' }, { column: 'entity' }, { column: 'p_title', order: 'desc' }]).select('round', 'entity', 'entity_id', 'p_title')) as Record<string, unknown>[];
      return rows.map((r) => ({ round: Number(r.round), entity: r.entity as ChampionshipEntity, entityId: Number(r.entity_id), pTitle: Number(r.p_title) }));
    },
  };
}
