import { ConflictError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Progress } from '../log/progress.js';
import { loadPitRaces, type PitRace } from '../pits/load.js';
import type { Repository } from '../repository/index.js';
import { fitCurrentOrder } from './current-order.js';
import {
  caseOf,
  currentOrderForecaster,
  EVALUATION_FRACTIONS,
  FIT_FRACTIONS,
  fitLiveParams,
  modelForecaster,
  orderObservations,
  preRaceForecaster,
  scoreForecaster,
  type FinishCase,
  type FinishRace,
  type ScoredForecaster,
} from './finish-backtest.js';
import { liveFinishForecast, type LiveFinishParams, type PriorEntry } from './finish-forecast.js';

/**
 * The live finishing forecast's walk-forward backtest from the database: parameters and the
 * current-order lookup fitted on the training seasons, the parameters' shortlist chosen on
 * the choice season, everything scored on the test races, each beside the pre-race forecast
 * the race had (walk-forward, passed in: `priors`).
 */
export interface LiveBacktestSplit {
  train: [number, number];
  choose: number;
  test: number;
  testMaxRound: number;
}

export const defaultLiveSplit: LiveBacktestSplit = { train: [2019, 2022], choose: 2023, test: 2024, testMaxRound: 18 };

export interface FinishBacktestReport {
  params: LiveFinishParams;
  /** Test season figures of each forecaster, and the choice season's beside them. */
  test: { model: ScoredForecaster; currentOrder: ScoredForecaster; preRace: ScoredForecaster };
  choose: { model: ScoredForecaster; currentOrder: ScoredForecaster; preRace: ScoredForecaster };
  trials: number;
  /** Median and worst wall time of one forecast of a full field at the served sample count. */
  forecastMs: { median: number; max: number; cars: number };
  races: { train: number; choose: number; test: number };
  laps: { train: number; choose: number; test: number };
  skipped: { season: number; round: number; reason: string }[];
}

export interface FinishBacktestDeps {
  repo: Repository;
  logger: Logger;
  /** The pre-race forecast of each race, by race id (walk-forward, as frozen). */
  priors: ReadonlyMap<number, PriorEntry[]>;
  progress?: (task: string, total: number) => Progress;
}

async function finishRaces(repo: Repository, loaded: PitRace[], priors: ReadonlyMap<number, PriorEntry[]>, skipped: FinishBacktestReport['skipped']): Promise<FinishRace[]> {
  const out: FinishRace[] = [];
  for (const r of loaded) {
    const prior = priors.get(r.raceId);
    if (!prior || prior.length === 0) {
      skipped.push({ season: r.season, round: r.round, reason: 'no pre-race forecast' });
      continue;
    }
    const results = await repo.reference.results(r.raceId);
    out.push({
      raceId: r.raceId,
      season: r.season,
      round: r.round,
      totalLaps: r.totalLaps,
      laps: r.laps,
      teams: r.teams,
      ...(r.circuit?.medianStint !== undefined ? { medianStint: r.circuit.medianStint } : {}),
      ...(r.circuit?.pitLossMs !== undefined ? { pitLossSeconds: r.circuit.pitLossMs / 1000 } : {}),
      results: results.map((x) => ({ driverId: x.driverId, position: x.position, positionOrder: x.positionOrder })),
      prior,
    });
  }
  return out;
}

const casesOf = (races: FinishRace[], fractions: readonly number[]): FinishCase[] => races.flatMap((r) => fractions.map((f) => caseOf(r, f)));

export async function runFinishBacktest(deps: FinishBacktestDeps, split: LiveBacktestSplit = defaultLiveSplit): Promise<FinishBacktestReport> {
  const { repo, logger } = deps;
  const skipped: FinishBacktestReport['skipped'] = [];
  const load = async (fromSeason: number, toSeason: number, maxRound?: number) => {
    const o = await loadPitRaces(repo, { fromSeason, toSeason, ...(maxRound ? { maxRound: { season: toSeason, round: maxRound } } : {}) });
    skipped.push(...o.skipped);
    return finishRaces(repo, o.races, deps.priors, skipped);
  };
  const train = await load(split.train[0], split.train[1]);
  const choose = await load(split.choose, split.choose);
  const test = await load(split.test, split.test, split.testMaxRound);
  for (const [what, set] of [['training', train], ['choice', choose], ['test', test]] as const) {
    if (set.length === 0) throw new ConflictError(`no ${what} races with laps and a pre-race forecast: load lap files first (npx pitwall ingest --laps ../shared/data/laps)`);
  }
  logger.info('live backtest data', { train: train.length, choose: choose.length, test: test.length, skipped: skipped.length });

  const table = fitCurrentOrder(orderObservations(train));
  const fitCases = { train: casesOf(train, FIT_FRACTIONS), choose: casesOf(choose, FIT_FRACTIONS) };
  const bar = deps.progress?.('live forecast fit', 60);
  const fit = fitLiveParams(fitCases.train, fitCases.choose, { onTrial: (t) => bar?.tick(1, `loss ${t.trainLoss.toFixed(4)}`) });
  bar?.stop();
  logger.info('live forecast parameters chosen', { params: fit.chosen, trials: fit.trials.length });

  const scoreAll = (cases: FinishCase[]) => ({
    model: scoreForecaster(cases, modelForecaster(fit.chosen)),
    currentOrder: scoreForecaster(cases, currentOrderForecaster(table)),
    preRace: scoreForecaster(cases, preRaceForecaster),
  });
  const testCases = casesOf(test, EVALUATION_FRACTIONS);
  const chooseCases = casesOf(choose, EVALUATION_FRACTIONS);

  // Speed at the served sample count on the test states with the largest fields.
  const times: number[] = [];
  const timed = [...testCases].sort((a, b) => b.state.cars.length - a.state.cars.length).slice(0, 30);
  for (const c of timed) {
    const t0 = performance.now();
    liveFinishForecast(c.state, c.prior, fit.chosen, 7, c.context);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const laps = (races: FinishRace[]) => races.reduce((s, r) => s + r.laps.length, 0);
  return {
    params: fit.chosen,
    test: scoreAll(testCases),
    choose: scoreAll(chooseCases),
    trials: fit.trials.length,
    forecastMs: { median: times[times.length >> 1] ?? NaN, max: times.at(-1) ?? NaN, cars: timed[0]?.state.cars.length ?? 0 },
    races: { train: train.length, choose: choose.length, test: test.length },
    laps: { train: laps(train), choose: laps(choose), test: laps(test) },
    skipped,
  };
}
