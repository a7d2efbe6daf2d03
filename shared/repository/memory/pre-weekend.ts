import type { PreWeekendLearnerRow, PreWeekendStore } from '../pre-weekend-store.js';
import { copy, jsonb, type Session } from './tables.js';

/** The pre-weekend learner's states in memory (migrations/018: one row per version, first write wins). */
export function createMemoryPreWeekendStore(s: Session): PreWeekendStore {
  const t = s.tables;
  const start = (r: PreWeekendLearnerRow) => r.throughRaceStart?.getTime() ?? -Infinity;
  const all = () => t.rows('pre_weekend_learners').map((r) => r.learner as PreWeekendLearnerRow);
  return {
    async latestBefore(asOf) {
      const found = all()
        .filter((r) => !asOf || start(r) < asOf.getTime())
        .sort((a, b) => start(b) - start(a) || b.races - a.races)[0];
      return found ? copy(found) : undefined;
    },
    async byVersion(version) {
      const found = all().find((r) => r.version === version);
      return found ? copy(found) : undefined;
    },
    async info(version) {
      const found = all().find((r) => r.version === version);
      if (!found) return undefined;
      const { state: _state, ...info } = found;
      return copy(info);
    },
    async save(r) {
      if (all().some((x) => x.version === r.version)) return;
      s.write('pre_weekend_learners', r.version, { learner: { ...r, state: jsonb(r.state) } });
    },
  };
}
