import { championshipInput, CHAMPIONSHIP_SAMPLES, oddsAsOf } from './championship-input.js';
import { simulateChampionship, type EntityOdds } from './simulate-championship.js';
import { sessionStartsAt } from '../domain/reference.js';
import { FEATURE_HISTORY_SEASONS, indexHistory } from '../features/race-features.js';
import type { Logger } from '../log/logger.js';
import type { Repository } from '../repository/index.js';
import type { ChampionshipEntity, ChampionshipOddsEntry } from '../repository/championship-store.js';
import { preWeekendLearnerAt } from '../models/pre-weekend/stored-learner.js';

/** What the post-sync odds step did, as the sync reports it. */
export interface ChampionshipUpdate {
  status: 'stored' | 'skipped' | 'failed';
  season: number | null;
  round: number | null;
  /** The learner state the strengths came from. */
  model: string | null;
  reason: string | null;
}

export interface ChampionshipOddsDeps {
  repo: Repository;
  /** The pre-weekend freeze's hours before first practice: the learner walks races as that forecast does. */
  hours: number;
  samples?: number;
}

const entriesOf = (entity: ChampionshipEntity, odds: EntityOdds[]): ChampionshipOddsEntry[] =>
  odds.map(({ id, ...rest }) => ({ entity, entityId: id, ...rest }));

/**
 * The title odds after a race with a result: the production learner (pre-weekend-learner.ts)
 * that has learnt every race started before the odds' instant (oddsAsOf: this one included),
 * the season's standings after it, a Monte Carlo over its remaining races; stored as the
 * round's one set (a recompute replaces it).
 */
export async function computeChampionshipOdds(deps: ChampionshipOddsDeps, raceId: number): Promise<ChampionshipUpdate> {
  const race = await deps.repo.races.byId(raceId);
  if (!race) return { status: 'skipped', season: null, round: null, model: null, reason: `race ${raceId} not found` };
  const skipped = (reason: string): ChampionshipUpdate => ({ status: 'skipped', season: race.season, round: race.round, model: null, reason });
  // Only what was known then, even when later results are stored (a replay over the dump).
  const asOf = oddsAsOf({ raceStart: sessionStartsAt(race.sessions.race) });
  const history = await deps.repo.history.load({ fromSeason: race.season - FEATURE_HISTORY_SEASONS, toSeason: race.season, asOf });
  const ix = indexHistory(history);
  const hr = ix.races.get(race.id);
  if (!hr || !ix.byRace.get(race.id)?.length) return skipped(`no results of ${race.name} ${race.season} stored`);
  const learnt = await preWeekendLearnerAt(deps.repo, asOf, { hours: deps.hours });
  const odds = simulateChampionship(championshipInput(ix, hr, learnt.pool, { samples: deps.samples ?? CHAMPIONSHIP_SAMPLES }));
  await deps.repo.championship.replace({
    season: race.season,
    round: race.round,
    raceId: race.id,
    model: learnt.version,
    samples: odds.samples,
    entries: [...entriesOf('driver', odds.drivers), ...entriesOf('constructor', odds.constructors)],
  });
  return { status: 'stored', season: race.season, round: race.round, model: learnt.version, reason: null };
}

/**
 * The sync's post-race odds step: computes and stores the odds, and never throws: a failure is
 * logged and reported as 'failed' (the result and the model update are already stored; the
 * next sync of the race, or of a later one, recomputes).
 */
export function championshipUpdater(deps: ChampionshipOddsDeps & { logger: Logger }): (raceId: number) => Promise<ChampionshipUpdate> {
  return async (raceId) => {
    try {
      const out = await computeChampionshipOdds(deps, raceId);
      deps.logger.info(`championship odds: ${out.status}`, { raceId, season: out.season, round: out.round, model: out.model, reason: out.reason });
      return out;
    } catch (err) {
      deps.logger.error('championship odds failed; the sync carries on', { raceId, error: err });
      return { status: 'failed', season: null, round: null, model: null, reason: err instanceof Error ? err.message : String(err) };
    }
  };
}
