import type { CurrentForecaster, RaceForecast } from '../../domain/forecast.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { computeRaceFeatures, FEATURE_HISTORY_SEASONS, indexHistory } from '../../features/race-features.js';
import { lastLearnable, preWeekendLearnerAt, preWeekendVersion } from './stored-learner.js';
import type { Progress } from '../../log/progress.js';
import type { Repository } from '../../repository/index.js';
import { explainedPreWeekend, preWeekendGapTable } from './model.js';

/**
 * The pre-weekend model as the freeze's forecaster: the version for a freeze at `asOf` is the
 * learner that has learnt every race with results before it (found with one small read); the
 * forecast catches the learner up (pre-weekend-learner.ts), computes the features as of the
 * freeze (the entry list: the latest race's line-up) and simulates, with the reasons and the
 * head-to-head shares.
 */
export function preWeekendForecaster(deps: {
  repo: Pick<Repository, 'races' | 'history' | 'preWeekend'>;
  hours: number;
  progress?: (total: number) => Progress;
  /** For the read API's provisional forecasts: only a stored learner state serves (stored-learner.ts). */
  readOnly?: boolean;
}): CurrentForecaster {
  const { repo, hours } = deps;
  return async (asOf = new Date()) => {
    const season = asOf.getUTCFullYear();
    const recent = await repo.history.load({ fromSeason: season - 1, toSeason: season, asOf });
    const version = preWeekendVersion(lastLearnable(recent, asOf));
    return {
      version,
      async forecast(raceId, at): Promise<RaceForecast> {
        const race = await repo.races.byId(raceId);
        if (!race) throw new NotFoundError('race', raceId);
        const learnt = await preWeekendLearnerAt(repo, at, { hours, ...(deps.progress ? { progress: deps.progress } : {}), ...(deps.readOnly ? { readOnly: true } : {}) });
        // The learner read the history as of the freeze already: read again only if it does not reach back the feature window.
        const covers = learnt.historyFrom <= race.season - FEATURE_HISTORY_SEASONS && learnt.history.races.some((r) => r.id === raceId);
        const history = covers ? learnt.history : await repo.history.load({ fromSeason: race.season - FEATURE_HISTORY_SEASONS, toSeason: race.season, asOf: at });
        const ix = indexHistory(history);
        const features = computeRaceFeatures(ix, raceId, at);
        if (features.drivers.length < 2) {
          throw new ConflictError(`no entry list is known for ${race.name} ${race.season} as of ${at.toISOString()}: the pre-weekend forecast takes the latest race's line-up, and none is stored`, { raceId });
        }
        const { drivers, headToHead } = explainedPreWeekend(learnt.pool, features, preWeekendGapTable(ix, race.season, at.getTime()));
        return { raceId, asOf: at, modelVersion: learnt.version, drivers, headToHead };
      },
    };
  };
}
