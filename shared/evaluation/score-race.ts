import type { DriverForecast } from '../domain/forecast.js';
import { raceOutcome, actualGapSeconds } from '../domain/race-outcome.js';
import type { HistoryResult } from '../domain/history.js';
import { brier, ece, logLoss, mean, spearman, topKOverlap, winnerNll } from './metrics.js';
import { bootstrapCi, type Estimate } from './bootstrap.js';

/**
 * The one scorer of a forecast against the official result: the backtest and the live
 * evaluation of a frozen snapshot (lifecycle/evaluate.ts) both call it. The scored field is
 * the race's starters (result rows) that the forecast covers; outcomes (finish re-ranked over
 * that field, podium, top 10, DNF = not classified) come from domain/race-outcome.ts.
 */
export interface ScoredRace {
  raceId: number;
  season: number;
  /**
   * |median position − actual| per starter: the median is the L1-optimal point forecast of
   * the position (chosen over the expected position on the 2019–2021 validation backtest).
   */
  absErrors: number[];
  /** |expected position − actual| per starter. */
  expectedAbsErrors: number[];
  /** |predicted rank − actual| per starter. */
  rankAbsErrors: number[];
  spearman: number;
  winnerCorrect: number;
  podiumOverlap: number;
  top10Overlap: number;
  winnerNll: number;
  /** Per driver: [probability, outcome] pairs. */
  win: [number, number][];
  podium: [number, number][];
  top10: [number, number][];
  dnf: [number, number][];
  /** A constant DNF rate (the training base rate), to score the DNF probabilities against. */
  dnfConstantRate: number;
  /** 1/0 per timed finisher behind the winner: actual gap inside the 80% interval. */
  gapCovered: number[];
  /** |gap − actual gap| in seconds, over the same finishers. */
  gapAbsErrors: number[];
}

/** What the scorer reads of a forecast: the frozen snapshot's entries have it too. */
export type ScorableDriver = Pick<DriverForecast, 'driverId' | 'predictedPosition' | 'expectedPosition' | 'medianPosition' | 'pWin' | 'pPodium' | 'pPoints' | 'pDnf' | 'gapSeconds' | 'gapLowSeconds' | 'gapHighSeconds'>;
export interface ScorableForecast {
  raceId: number;
  drivers: readonly ScorableDriver[];
}

const rerank = (xs: number[]) => {
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]! || a - b);
  const r = new Array<number>(xs.length);
  idx.forEach((i, k) => (r[i] = k + 1));
  return r;
};

export function scoreRace(forecast: ScorableForecast, season: number, results: readonly HistoryResult[], dnfConstantRate = NaN): ScoredRace | null {
  const byDriver = new Map(forecast.drivers.map((d) => [d.driverId, d]));
  const field = results.filter((r) => byDriver.has(r.driverId));
  if (field.length < 2) return null;
  const f = field.map((r) => byDriver.get(r.driverId)!);
  const predicted = rerank(f.map((d) => d.predictedPosition));
  const outcome = raceOutcome(field);
  const actual = outcome.map((o) => o.finish);
  const predictedOrder = field.map((r) => r.driverId).sort((a, b) => byDriver.get(a)!.predictedPosition - byDriver.get(b)!.predictedPosition);
  const actualOrder = [...outcome].sort((a, b) => a.finish - b.finish).map((o) => o.driverId);
  const winnerIdx = actual.indexOf(1);
  // Probabilities are scored as the forecast stated them (over its whole entry list).
  const timed = field.flatMap((r, i) => {
    const g = actualGapSeconds(results, r.driverId);
    return g === null || r.position === 1 ? [] : [{ g, d: f[i]! }];
  });
  return {
    raceId: forecast.raceId,
    season,
    absErrors: f.map((d, i) => Math.abs(d.medianPosition - actual[i]!)),
    expectedAbsErrors: f.map((d, i) => Math.abs(d.expectedPosition - actual[i]!)),
    rankAbsErrors: predicted.map((p, i) => Math.abs(p - actual[i]!)),
    spearman: spearman(predicted, actual),
    winnerCorrect: predictedOrder[0] === actualOrder[0] ? 1 : 0,
    podiumOverlap: topKOverlap(predictedOrder, actualOrder, 3),
    top10Overlap: topKOverlap(predictedOrder, actualOrder, 10),
    winnerNll: winnerNll(f.map((d) => d.pWin), winnerIdx),
    win: f.map((d, i) => [d.pWin, outcome[i]!.win ? 1 : 0]),
    podium: f.map((d, i) => [d.pPodium, outcome[i]!.podium ? 1 : 0]),
    top10: f.map((d, i) => [d.pPoints, outcome[i]!.top10 ? 1 : 0]),
    dnf: f.map((d, i) => [d.pDnf, outcome[i]!.dnf ? 1 : 0]),
    dnfConstantRate,
    gapCovered: timed.map(({ g, d }) => (g >= d.gapLowSeconds && g <= d.gapHighSeconds ? 1 : 0)),
    gapAbsErrors: timed.map(({ g, d }) => Math.abs(d.gapSeconds - g)),
  };
}

export type Pairs = 'win' | 'podium' | 'top10' | 'dnf';
const pairs = (races: readonly ScoredRace[], k: Pairs) => races.flatMap((r) => r[k]);
const probMetric = (k: Pairs, fn: typeof brier) => (races: readonly ScoredRace[]) => {
  const ps = pairs(races, k);
  return fn(ps.map((x) => x[0]), ps.map((x) => x[1]));
};

/** Every metric as a function of a set of scored races (so each can be bootstrapped over races). */
export const raceMetrics: Record<string, (races: readonly ScoredRace[]) => number> = {
  positionMae: (rs) => mean(rs.flatMap((r) => r.absErrors)),
  expectedPositionMae: (rs) => mean(rs.flatMap((r) => r.expectedAbsErrors)),
  rankMae: (rs) => mean(rs.flatMap((r) => r.rankAbsErrors)),
  spearman: (rs) => mean(rs.map((r) => r.spearman)),
  winnerCorrect: (rs) => mean(rs.map((r) => r.winnerCorrect)),
  podiumOverlap: (rs) => mean(rs.map((r) => r.podiumOverlap)),
  top10Overlap: (rs) => mean(rs.map((r) => r.top10Overlap)),
  winnerNll: (rs) => mean(rs.map((r) => r.winnerNll)),
  brierWin: probMetric('win', brier),
  brierPodium: probMetric('podium', brier),
  brierTop10: probMetric('top10', brier),
  brierDnf: probMetric('dnf', brier),
  logLossWin: probMetric('win', logLoss),
  logLossPodium: probMetric('podium', logLoss),
  logLossTop10: probMetric('top10', logLoss),
  logLossDnf: probMetric('dnf', logLoss),
  logLossDnfConstantRate: (rs) => {
    const ps = rs.flatMap((r) => r.dnf.map(([, y]) => [r.dnfConstantRate, y] as const));
    return logLoss(ps.map((x) => x[0]), ps.map((x) => x[1]));
  },
  eceWin: probMetric('win', ece),
  ecePodium: probMetric('podium', ece),
  eceTop10: probMetric('top10', ece),
  eceDnf: probMetric('dnf', ece),
  gapCoverage80: (rs) => mean(rs.flatMap((r) => r.gapCovered)),
};

export type MetricReport = Record<string, Estimate> & { races: Estimate };

export function summarise(races: readonly ScoredRace[], { resamples = 1000, seed = 1 } = {}): MetricReport {
  const out: Record<string, Estimate> = { races: { value: races.length, ciLow: races.length, ciHigh: races.length } };
  for (const [name, fn] of Object.entries(raceMetrics)) out[name] = bootstrapCi(races, fn, { resamples, seed });
  return out as MetricReport;
}

/** Point values only, e.g. for the model_versions metrics column. */
export function pointMetrics(races: readonly ScoredRace[]): Record<string, number> {
  return Object.fromEntries(Object.entries(raceMetrics).map(([k, fn]) => [k, fn(races)]));
}

