import type { Knex } from 'knex';

/** A stored state of the pre-weekend learner (migrations/018): what it had learnt through one race. */
export interface PreWeekendLearnerRow {
  version: string;
  /** The latest race it learnt; null for a learner that has learnt none. */
  throughRaceId: number | null;
  throughRaceStart: Date | null;
  races: number;
  /** The learner's JSON snapshot (models/race/pool.ts PoolLearnerSnapshot), opaque here. */
  state: unknown;
}

export interface PreWeekendStore {
  /** The latest state that has learnt only races starting before `asOf` (all when omitted). */
  latestBefore(asOf?: Date): Promise<PreWeekendLearnerRow | undefined>;
  byVersion(version: string): Promise<PreWeekendLearnerRow | undefined>;
  /** A state's version and what it has learnt, without the state itself (a label reads it). */
  info(version: string): Promise<Omit<PreWeekendLearnerRow, 'state'> | undefined>;
  /** Stores a state; storing a version again is a no-op (a version names one state). */
  save(row: PreWeekendLearnerRow): Promise<void>;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function mapInfo(r: Record<string, unknown>): Omit<PreWeekendLearnerRow, 'state'> {
  const start = new Date(r.through_race_start as string);
  return {
    version: String(r.version),
    throughRaceId: r.through_race_id === null ? null : Number(r.through_race_id),
    throughRaceStart: Number.isFinite(start.getTime()) ? start : null,
    races: Number(r.races),
  };
}

const mapRow = (r: Record<string, unknown>): PreWeekendLearnerRow => ({ ...mapInfo(r), state: json(r.state) });

export function createPreWeekendStore(db: Knex | Knex.Transaction): PreWeekendStore {
  return {
    async latestBefore(asOf) {
      const q = db('pre_weekend_learners').orderBy([{ column: 'through_race_start', order: 'desc' }, { column: 'races', order: 'desc' }]);
      if (asOf) q.where('through_race_start', '<', asOf);
      const row = await q.first();
      return row ? mapRow(row as Record<string, unknown>) : undefined;
    },
    async byVersion(version) {
      const row = await db('pre_weekend_learners').where({ version }).first();
      return row ? mapRow(row as Record<string, unknown>) : undefined;
    },
    async info(version) {
      const row = await db('pre_weekend_learners').select('version', 'through_race_id', 'through_race_start', 'races').where({ version }).first();
      return row ? mapInfo(row as Record<string, unknown>) : undefined;
    },
    async save(r) {
      await db('pre_weekend_learners')
        .insert({
          version: r.version,
          through_race_id: r.throughRaceId,
          through_race_start: r.throughRaceStart ?? '-infinity',
          races: r.races,
          state: JSON.stringify(r.state),
        })
        .onConflict('version')
        .ignore();
    },
  };
}
