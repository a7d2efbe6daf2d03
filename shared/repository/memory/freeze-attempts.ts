import type { FreezeAttempt, FreezeAttemptsStore, FreezeRefusals } from '../freeze-attempts-store.js';
import { ConstraintError, copy, type Session } from './tables.js';

/** Refused freezes in memory, with migrations/011's foreign key and status check. */
export function createMemoryFreezeAttemptsStore(s: Session): FreezeAttemptsStore {
  const t = s.tables;
  return {
    async record(a) {
      if (!t.get('races', a.raceId)) throw new ConstraintError(`insert or update on table "freeze_attempts" violates foreign key (race ${a.raceId} does not exist)`, '23503');
      if (!(a.status >= 400 && a.status <= 599)) throw new ConstraintError('new row for relation "freeze_attempts" violates check constraint "freeze_attempts_status_check"', '23514');
      const id = t.nextId('freeze_attempts');
      s.write('freeze_attempts', id, { id, attempt: { ...a, attemptedAt: new Date(a.attemptedAt) } });
    },
    async refusals(raceIds, policyKey) {
      const out = new Map<number, FreezeRefusals>();
      const rows = t.rows('freeze_attempts').map((r) => ({ id: r.id as number, a: r.attempt as FreezeAttempt }));
      for (const { a } of rows
        .filter(({ a }) => raceIds.includes(a.raceId) && a.policyKey === policyKey)
        .sort((x, y) => y.a.attemptedAt.getTime() - x.a.attemptedAt.getTime() || y.id - x.id)) {
        const seen = out.get(a.raceId);
        if (seen) seen.attempts++;
        else out.set(a.raceId, { attempts: 1, last: copy({ attemptedAt: a.attemptedAt, status: a.status, code: a.code, reason: a.reason }) });
      }
      return out;
    },
  };
}
