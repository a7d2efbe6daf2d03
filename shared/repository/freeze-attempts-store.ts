import type { Knex } from 'knex';

/** A refused freeze: when, the answer's status and code, and why. */
export interface FreezeAttempt {
  raceId: number;
  policyKey: string;
  attemptedAt: Date;
  status: number;
  code: string;
  reason: string;
}

/** What a race's refused freezes add up to: how many, and the last one. */
export interface FreezeRefusals {
  attempts: number;
  last: Omit<FreezeAttempt, 'raceId' | 'policyKey'>;
}

export interface FreezeAttemptsStore {
  record(attempt: FreezeAttempt): Promise<void>;
  /** Per race of `raceIds` that has refused freezes under `policyKey`: their count and the latest. */
  refusals(raceIds: readonly number[], policyKey: string): Promise<Map<number, FreezeRefusals>>;
}

export function createFreezeAttemptsStore(db: Knex | Knex.Transaction): FreezeAttemptsStore {
  return {
    async record(a) {
      await db('freeze_attempts').insert({
        race_id: a.raceId, policy_key: a.policyKey, attempted_at: a.attemptedAt, status: a.status, code: a.code, reason: a.reason,
      });
    },
    async refusals(raceIds, policyKey) {
      const out = new Map<number, FreezeRefusals>();
      if (raceIds.length === 0) return out;
      const rows = await db('freeze_attempts as f')
        .whereIn('f.race_id', raceIds)
        .andWhere('f.policy_key', policyKey)
        .select('f.race_id', 'f.attempted_at', 'f.status', 'f.code', 'f.reason', db.raw('count(*) over (partition by f.race_id) as attempts'))
        .orderBy([{ column: 'f.race_id' }, { column: 'f.attempted_at', order: 'desc' }, { column: 'f.id', order: 'desc' }]);
      for (const r of rows as { race_id: number; attempted_at: Date; status: number; code: string; reason: string; attempts: string | number }[]) {
        if (out.has(r.race_id)) continue;
        out.set(r.race_id, { attempts: Number(r.attempts), last: { attemptedAt: new Date(r.attempted_at), status: r.status, code: r.code, reason: r.reason } });
      }
      return out;
    },
  };
}
