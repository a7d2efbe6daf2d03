import type { History, HistoryRace } from '../../domain/history.js';
import { FEATURE_HISTORY_SEASONS, indexHistory } from '../../features/race-features.js';
import type { Progress } from '../../log/progress.js';
import { newPreWeekendLearner, preWeekendWalk } from './model.js';
import { PoolLearner, type PoolLearnerSnapshot, type PoolState } from '../race/pool.js';
import type { Repository } from '../../repository/index.js';
import { ConflictError } from '../../errors.js';

/**
 * The pre-weekend learner as production holds it: a stored state per race it learnt
 * (repository pre-weekend-store), caught up on demand. The learner for a freeze at `asOf` has
 * learnt every race with results that started before `asOf`, in calendar order, from the
 * latest stored state that had learnt only such races (else from scratch, 10 seasons before),
 * and is stored when it learnt anything new: the next freeze resumes from it.
 */
export const PRE_WEEKEND_MODEL = 'pre-weekend-v1';

/** Seasons a learner started from scratch learns before the freeze's season. */
export const PRE_WEEKEND_COLD_START_SEASONS = 10;

const pad = (n: number) => String(n).padStart(2, '0');

/** A learner state's version: the model and the latest race it learnt ("pre-weekend-v1+2024r05"). */
export const preWeekendVersion = (through: Pick<HistoryRace, 'season' | 'round'> | null): string =>
  through ? `${PRE_WEEKEND_MODEL}+${through.season}r${pad(through.round)}` : `${PRE_WEEKEND_MODEL}+none`;

/** The latest race with results that started before `asOf`: the last one a freeze then may have learnt. */
export function lastLearnable(history: History, asOf: Date): HistoryRace | null {
  const withResults = new Set(history.results.map((r) => r.raceId));
  const t = asOf.getTime();
  return [...history.races].filter((r) => r.raceStart.getTime() < t && withResults.has(r.id)).sort((a, b) => a.raceStart.getTime() - b.raceStart.getTime()).at(-1) ?? null;
}

export interface PreWeekendLearnerAt {
  learner: PoolLearner;
  pool: PoolState;
  version: string;
  through: HistoryRace | null;
  /** The history as of `asOf` it read, from season `historyFrom` through `asOf`'s. */
  history: History;
  historyFrom: number;
}

/**
 * `readOnly` for a read (a provisional forecast): only a stored state that has learnt every
 * race before `asOf` serves; catching up (minutes of CPU on a cold database, on the event loop)
 * is the freezes' and syncs' work, so a read that would need it is refused (409) with the reason.
 */
export async function preWeekendLearnerAt(
  repo: Pick<Repository, 'history' | 'preWeekend'>,
  asOf: Date,
  options: { hours: number; progress?: (total: number) => Progress; readOnly?: boolean },
): Promise<PreWeekendLearnerAt> {
  const stored = await repo.preWeekend.latestBefore(asOf);
  const season = asOf.getUTCFullYear();
  const resumeFrom = stored?.throughRaceStart ?? null;
  const firstSeason = resumeFrom ? resumeFrom.getUTCFullYear() : season - PRE_WEEKEND_COLD_START_SEASONS;
  const historyFrom = firstSeason - FEATURE_HISTORY_SEASONS;
  const history = await repo.history.load({ fromSeason: historyFrom, toSeason: season, asOf });
  const withResults = new Set(history.results.map((r) => r.raceId));
  const toLearn = history.races.filter(
    (r) => r.season >= firstSeason && withResults.has(r.id) && r.raceStart.getTime() < asOf.getTime() && (!resumeFrom || r.raceStart.getTime() > resumeFrom.getTime()),
  );
  if (options.readOnly && (!stored || toLearn.length > 0)) {
    throw new ConflictError(
      `the pre-weekend learner stored ${stored ? `through ${stored.version}` : 'nothing'} has not learnt the ${toLearn.length} race(s) with results before ${asOf.toISOString()}: ` +
        'a forecast here is made once a freeze or a result sync of that season has caught it up (npx pitwall replay --season YYYY locally)',
      { asOf: asOf.toISOString(), storedVersion: stored?.version ?? null, racesToLearn: toLearn.length },
    );
  }
  const learner = stored ? PoolLearner.restore(stored.state as PoolLearnerSnapshot) : newPreWeekendLearner();
  let through: HistoryRace | null = stored?.throughRaceId ? (history.races.find((r) => r.id === stored.throughRaceId) ?? null) : null;
  if (stored && toLearn.length === 0) return { learner, pool: learner.current(), version: stored.version, through, history, historyFrom };
  const bar = toLearn.length ? options.progress?.(toLearn.length) : undefined;
  const ix = indexHistory(history);
  try {
    for (const step of preWeekendWalk(ix, toLearn, options.hours, learner)) bar?.tick(1, `${step.race.season} R${step.race.round}`);
  } finally {
    bar?.stop();
  }
  // Named by the last race it could learn (one without an entry list to learn from is passed over).
  through = toLearn.at(-1) ?? through;
  const version = preWeekendVersion(through);
  const state = learner.snapshot();
  await repo.preWeekend.save({ version, throughRaceId: through?.id ?? null, throughRaceStart: through?.raceStart ?? null, races: state.seen, state });
  return { learner, pool: learner.current(), version, through, history, historyFrom };
}
