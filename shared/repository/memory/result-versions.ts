import type { ResultVersion } from '../../domain/result-versions.js';
import type { ResultVersionsStore } from '../result-versions-store.js';
import { ConstraintError, copy, jsonb, type Session } from './tables.js';

/** Classification versions in memory, with migrations/009's unique (race, version) and foreign key to the race. */
export function createMemoryResultVersionsStore(s: Session): ResultVersionsStore {
  const t = s.tables;
  const key = (raceId: number, version: number) => `${raceId}/${version}`;
  const ofRace = (raceId: number) =>
    t.rows('result_versions').map((r) => r.version as ResultVersion).filter((v) => v.raceId === raceId).sort((a, b) => a.version - b.version);
  const out = (v: ResultVersion): ResultVersion => ({ ...copy(v), syncedAt: new Date(v.syncedAt) });
  return {
    async add(v) {
      if (!t.get('races', v.raceId)) throw new ConstraintError(`result_versions.race_id ${v.raceId} references no race`, '23503');
      if (!(v.version >= 1)) throw new ConstraintError('result_versions.version must be >= 1', '23514');
      if (t.get('result_versions', key(v.raceId, v.version))) {
        throw new ConstraintError(`duplicate key value violates unique constraint "result_versions_one_per_number" (${v.raceId}, ${v.version})`, '23505');
      }
      // As jsonb keeps it: what is read back is what JSON holds.
      const stored: ResultVersion = { ...v, classification: jsonb(v.classification), changes: jsonb(v.changes), syncedAt: new Date(v.syncedAt) };
      s.write('result_versions', key(v.raceId, v.version), { version: stored });
      return out(stored);
    },
    async current(raceId) {
      const v = ofRace(raceId).pop();
      return v ? out(v) : undefined;
    },
    async history(raceId) {
      return ofRace(raceId).map(out);
    },
  };
}
