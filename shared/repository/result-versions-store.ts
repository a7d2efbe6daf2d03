import type { Knex } from 'knex';
import type { ResultChange, ResultVersion, VersionedResult } from '../domain/result-versions.js';

/** The classification versions of races (migrations/009): each one stored whole, numbered 1, 2, ... per race. */
export interface ResultVersionsStore {
  /** Stores a race's next version; refuses a number the race already has (a concurrent sync stored it first). */
  add(v: ResultVersion): Promise<ResultVersion>;
  /** The race's newest version, or undefined when its classification was never synced. */
  current(raceId: number): Promise<ResultVersion | undefined>;
  /** Every version of the race, oldest first. */
  history(raceId: number): Promise<ResultVersion[]>;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function mapVersion(r: Record<string, unknown>): ResultVersion {
  return {
    raceId: Number(r.race_id),
    version: Number(r.version),
    syncedAt: new Date(r.synced_at as string),
    runId: r.run_id == null ? null : Number(r.run_id),
    classification: json(r.classification) as VersionedResult[],
    changes: json(r.changes) as ResultChange[],
    summary: String(r.summary),
  };
}

export function createResultVersionsStore(db: Knex | Knex.Transaction): ResultVersionsStore {
  return {
    async add(v) {
      const [saved] = await db('result_versions')
        .insert({
          race_id: v.raceId, version: v.version, synced_at: v.syncedAt, run_id: v.runId,
          classification: JSON.stringify(v.classification), changes: JSON.stringify(v.changes), summary: v.summary,
        })
        .returning('*');
      return mapVersion(saved);
    },
    async current(raceId) {
      const row = await db('result_versions').where({ race_id: raceId }).orderBy('version', 'desc').first();
      return row ? mapVersion(row) : undefined;
    },
    async history(raceId) {
      return (await db('result_versions').where({ race_id: raceId }).orderBy('version')).map(mapVersion);
    },
  };
}
