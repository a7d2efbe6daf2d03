import type { HistoryRace } from '../domain/history.js';
import { computeRaceFeatures, raceSeed, type HistoryIndex } from '../features/race-features.js';
import { preWeekendStrengths } from '../models/pre-weekend/model.js';
import type { PoolState } from '../models/race/pool.js';
import { POOL_BAD_RACE } from '../models/race/pooled-model.js';
import { racePoints, sprintPoints } from './points-system.js';
import type { ChampionshipInput, RemainingRace, Standing } from './simulate-championship.js';

/**
 * The odds after a race are computed as of this long after its start: its result is known, and
 * no later race has started. One instant for production and the backtest, so both read the same
 * features whenever the sync actually ran.
 */
export const ODDS_AFTER_RACE_HOURS = 12;
export const oddsAsOf = (race: Pick<HistoryRace, 'raceStart'>): Date => new Date(race.raceStart.getTime() + ODDS_AFTER_RACE_HOURS * 3_600_000);

/** 10,000 seasons: P(title) to ±0.005 (one standard error at 0.5). */
export const CHAMPIONSHIP_SAMPLES = 10_000;

/**
 * The season-long strength SD (simulate-championship.ts strengthSd), chosen on the 2009–2013
 * validation seasons among 0, 0.25, 0.5, 0.75, 1 and 1.5 (mean log loss of P(real champion)
 * after every round, drivers plus constructors: 1.11 at 0, 1.06 at 0.5, 1.10 at 0.75). Without
 * it the odds are overconfident: today's strengths held to the end of the season.
 */
export const CHAMPIONSHIP_STRENGTH_SD = 0.5;

/**
 * What the Monte Carlo after `race` reads: the standings after it (standingsAfter), and every
 * later race of its season with each entrant's strength under `pool` (the learner that has
 * learnt `race`) applied to that race's own features as of now (oddsAsOf: the entry list is the latest line-up, the
 * circuit terms are the race's own). Sprints still to run score by the season's sprint table.
 */
export function championshipInput(ix: HistoryIndex, race: HistoryRace, pool: PoolState, options: { samples?: number; strengthSd?: number } = {}): ChampionshipInput {
  const asOf = oddsAsOf(race);
  const badRace = pool.badRace ?? POOL_BAD_RACE;
  const remaining: RemainingRace[] = (ix.seasonRaces.get(race.season) ?? [])
    .filter((r) => r.round > race.round)
    .map((r) => {
      const features = computeRaceFeatures(ix, r.id, asOf);
      return {
        round: r.round,
        entrants: preWeekendStrengths(pool, features),
        points: racePoints(r.season, r.round, r.roundsInSeason),
        sprint: r.sprintStart ? sprintPoints(r.season) : null,
        badRace,
      };
    });
  return {
    drivers: standingsAfter(ix, race, 'driverId'),
    constructors: standingsAfter(ix, race, 'constructorId'),
    remaining,
    samples: options.samples ?? CHAMPIONSHIP_SAMPLES,
    seed: raceSeed(race.season, race.round),
    strengthSd: options.strengthSd ?? CHAMPIONSHIP_STRENGTH_SD,
  };
}

/**
 * The championship after `race`: the latest published standings of the season up to it (their
 * points as published, penalties and half points included), plus the race and sprint points of
 * the rounds after those standings, for a sync that has stored the classification before the
 * standings are published. Wins are counted from the classifications.
 */
export function standingsAfter(ix: HistoryIndex, race: HistoryRace, key: 'driverId' | 'constructorId'): Standing[] {
  const table = key === 'driverId' ? ix.driverStandings : ix.constructorStandings;
  const season = (ix.seasonRaces.get(race.season) ?? []).filter((r) => r.round <= race.round);
  const published = [...season].reverse().find((r) => table.get(r.id)?.length);
  const points = new Map((published ? table.get(published.id)! : []).map((s) => [s.entityId, s.points]));
  const wins = new Map<number, number>();
  for (const r of season) {
    const results = ix.byRace.get(r.id) ?? [];
    for (const row of results) if (row.positionOrder === 1 && row.position !== null) wins.set(row[key], (wins.get(row[key]) ?? 0) + 1);
    if (published && r.round <= published.round) continue;
    for (const row of [...results, ...(ix.sprints.get(r.id) ?? [])]) points.set(row[key], (points.get(row[key]) ?? 0) + row.points);
  }
  return [...points].map(([id, p]) => ({ id, points: p, wins: wins.get(id) ?? 0 }));
}
