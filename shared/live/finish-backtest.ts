import type { Lap } from '../domain/reference.js';
import { raceOutcome, type DriverOutcome, type OutcomeRow } from '../domain/race-outcome.js';
import { brier, ece, logLoss, mean } from '../evaluation/metrics.js';
import { currentOrderOdds, type CurrentOrderTable, type OrderObservation } from './current-order.js';
import { defaultLiveFinishParams, liveFinishForecast, type FinishContext, type LiveFinishParams, type PriorEntry } from './finish-forecast.js';
import { raceStateAt } from './race-state.js';
import type { LiveFinishOdds, LiveRaceState } from './types.js';

/**
 * The live finishing forecast's backtest, pure: races in (laps, classification, the
 * pre-race forecast frozen for them), scores out. The forecast at a share of the race reads
 * the race state at that lap (raceStateAt: no later lap), so each one is what the live tick
 * would have had.
 */
export interface FinishRace {
  raceId: number;
  season: number;
  round: number;
  totalLaps: number;
  laps: Lap[];
  teams: Map<number, number>;
  /** The circuit's median stint length in earlier seasons (known before the race). */
  medianStint?: number;
  /** The circuit's time lost by a stop, from earlier seasons. */
  pitLossSeconds?: number;
  results: OutcomeRow[];
  /** The pre-race forecast as frozen for the race (walk-forward). */
  prior: PriorEntry[];
}

/** One race at one share of its distance: the state, what happened, the circuit context. */
export interface FinishCase {
  raceId: number;
  season: number;
  fraction: number;
  state: LiveRaceState;
  outcome: DriverOutcome[];
  prior: PriorEntry[];
  context: FinishContext;
}

export type Forecaster = (c: FinishCase) => LiveFinishOdds[];

export const EVALUATION_FRACTIONS = [0.25, 0.5, 0.75] as const;
/** Shares of the race the parameters are fitted on (the three scored ones and their neighbours: a safety car is rare at any one). */
export const FIT_FRACTIONS = [0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9] as const;

export const lapAt = (totalLaps: number, fraction: number) => Math.max(1, Math.min(totalLaps - 1, Math.round(fraction * totalLaps)));

export function caseOf(race: FinishRace, fraction: number): FinishCase {
  const lap = lapAt(race.totalLaps, fraction);
  return {
    raceId: race.raceId,
    season: race.season,
    fraction,
    state: raceStateAt({ raceId: race.raceId, totalLaps: race.totalLaps, laps: race.laps, teams: race.teams, lap }),
    outcome: raceOutcome(race.results),
    prior: race.prior,
    context: {
      ...(race.medianStint !== undefined ? { medianStint: race.medianStint } : {}),
      ...(race.pitLossSeconds !== undefined ? { pitLossSeconds: race.pitLossSeconds } : {}),
    },
  };
}

/** Every car at every lap of the training races: the current-order lookup's counts. */
export function orderObservations(races: readonly FinishRace[], step = 1): OrderObservation[] {
  const out: OrderObservation[] = [];
  for (const race of races) {
    const outcome = new Map(raceOutcome(race.results).map((o) => [o.driverId, o]));
    for (let lap = 1; lap < race.totalLaps; lap += step) {
      const state = raceStateAt({ raceId: race.raceId, totalLaps: race.totalLaps, laps: race.laps, teams: race.teams, lap });
      let position = 0;
      for (const car of state.cars) {
        if (car.retired) continue;
        position++;
        const o = outcome.get(car.driverId);
        if (!o) continue;
        out.push({ fraction: lap / race.totalLaps, position, finish: o.dnf ? null : o.finish });
      }
    }
  }
  return out;
}

export interface FinishScores {
  cases: number;
  winnerLogLoss: number;
  brierWin: number;
  brierPodium: number;
  brierPoints: number;
}

interface Pairs {
  p: number[];
  y: boolean[];
}

/** One forecast's probabilities beside the outcome, over the race's starters (a driver it did not cover has 0). */
function pairsOf(c: FinishCase, odds: readonly LiveFinishOdds[]) {
  const by = new Map(odds.map((o) => [o.driverId, o]));
  const win: Pairs = { p: [], y: [] };
  const podium: Pairs = { p: [], y: [] };
  const points: Pairs = { p: [], y: [] };
  let winnerP = NaN;
  for (const o of c.outcome) {
    const f = by.get(o.driverId);
    win.p.push(f?.win ?? 0);
    win.y.push(o.win);
    podium.p.push(f?.podium ?? 0);
    podium.y.push(o.podium);
    points.p.push(f?.points ?? 0);
    points.y.push(o.top10);
    if (o.win) winnerP = f?.win ?? 0;
  }
  return { win, podium, points, winnerP };
}

const EPS = 1e-6;

export interface ScoredForecaster {
  byFraction: Record<string, FinishScores>;
  /** ECE (10 bins) of P(win), P(podium) and P(points) pooled over the scored fractions. */
  ece: number;
  eceByKind: { win: number; podium: number; points: number };
}

export function scoreForecaster(cases: readonly FinishCase[], forecast: Forecaster): ScoredForecaster {
  const byFraction: Record<string, FinishScores> = {};
  const pooled = { win: { p: [] as number[], y: [] as boolean[] }, podium: { p: [] as number[], y: [] as boolean[] }, points: { p: [] as number[], y: [] as boolean[] } };
  const fractions = [...new Set(cases.map((c) => c.fraction))].sort((a, b) => a - b);
  for (const f of fractions) {
    const here = cases.filter((c) => c.fraction === f);
    const nll: number[] = [];
    const bw: number[] = [];
    const bp: number[] = [];
    const bq: number[] = [];
    for (const c of here) {
      const pr = pairsOf(c, forecast(c));
      if (Number.isFinite(pr.winnerP)) nll.push(-Math.log(Math.max(EPS, pr.winnerP)));
      bw.push(brier(pr.win.p, pr.win.y));
      bp.push(brier(pr.podium.p, pr.podium.y));
      bq.push(brier(pr.points.p, pr.points.y));
      for (const k of ['win', 'podium', 'points'] as const) {
        pooled[k].p.push(...pr[k].p);
        pooled[k].y.push(...pr[k].y);
      }
    }
    byFraction[String(f)] = { cases: here.length, winnerLogLoss: mean(nll), brierWin: mean(bw), brierPodium: mean(bp), brierPoints: mean(bq) };
  }
  const all = { p: [...pooled.win.p, ...pooled.podium.p, ...pooled.points.p], y: [...pooled.win.y, ...pooled.podium.y, ...pooled.points.y] };
  return {
    byFraction,
    ece: ece(all.p, all.y, 10),
    eceByKind: { win: ece(pooled.win.p, pooled.win.y), podium: ece(pooled.podium.p, pooled.podium.y), points: ece(pooled.points.p, pooled.points.y) },
  };
}

/**
 * What the fit minimises, per case: winner log loss plus the podium and points log losses.
 * (Winner log loss + 10 × the two Briers was tried: on 2023 it did better at 25% and on the
 * 75% winner, worse on six of the nine figures.)
 */
export function fitLoss(cases: readonly FinishCase[], forecast: Forecaster): number {
  const losses = cases.map((c) => {
    const pr = pairsOf(c, forecast(c));
    return -Math.log(Math.max(EPS, Number.isFinite(pr.winnerP) ? pr.winnerP : 1)) + logLoss(pr.podium.p, pr.podium.y) + logLoss(pr.points.p, pr.points.y);
  });
  return mean(losses);
}

export const modelForecaster =
  (params: LiveFinishParams): Forecaster =>
  (c) =>
    liveFinishForecast(c.state, c.prior, params, c.raceId * 1000 + c.state.lap, c.context);
export const preRaceForecaster: Forecaster = (c) => {
  const by = new Map(c.prior.map((e) => [e.driverId, e]));
  return c.outcome.map((o) => {
    const e = by.get(o.driverId);
    return { driverId: o.driverId, win: e?.pWin ?? 0, podium: e?.pPodium ?? 0, points: e?.pPoints ?? 0, expectedPosition: e?.expectedPosition ?? c.outcome.length };
  });
};
export const currentOrderForecaster =
  (table: CurrentOrderTable): Forecaster =>
  (c) =>
    currentOrderOdds(table, c.state);

export interface ParamTrial {
  params: LiveFinishParams;
  trainLoss: number;
  chooseLoss?: number;
}

/**
 * Parameters by coordinate search on the training cases (fewer samples than served: the
 * same seed per case, so candidates differ by their parameters, not their noise), then the
 * best of the `shortlist` lowest training losses on the choice cases.
 */
export function fitLiveParams(
  train: readonly FinishCase[],
  choose: readonly FinishCase[],
  o: { samples?: number; shortlist?: number; onTrial?: (t: ParamTrial) => void } = {},
): { chosen: LiveFinishParams; trials: ParamTrial[] } {
  const samples = o.samples ?? 600;
  const grid: Record<keyof Omit<LiveFinishParams, 'samples'>, number[]> = {
    sigmaAt25Laps: [3, 4.5, 6, 8, 11, 15, 20, 26],
    noiseExponent: [0.5, 0.75, 1],
    holdSeconds: [0, 2, 4, 6, 9, 13],
    futureScPerLap: [0, 0.005, 0.01, 0.02],
    paceWeight: [0, 0.5, 1, 1.5, 2, 3],
    scGapFactor: [0.15, 0.3, 0.5, 0.8],
    vscGapFactor: [0.4, 0.7, 1],
    stintStretch: [1, 1.25, 1.5, 2, 100],
    dnfScale: [0.25, 0.5, 1, 1.5],
    smoothing: [0.003, 0.01, 0.03, 0.06],
  };
  const trials = new Map<string, ParamTrial>();
  const trial = (p: LiveFinishParams): ParamTrial => {
    const key = JSON.stringify(p);
    let t = trials.get(key);
    if (!t) {
      t = { params: p, trainLoss: fitLoss(train, modelForecaster(p)) };
      trials.set(key, t);
      o.onTrial?.(t);
    }
    return t;
  };
  let best = trial({ ...defaultLiveFinishParams, samples });
  for (let sweep = 0; sweep < 2; sweep++) {
    let moved = false;
    for (const key of Object.keys(grid) as (keyof typeof grid)[]) {
      for (const v of grid[key]) {
        const t = trial({ ...best.params, [key]: v });
        if (t.trainLoss < best.trainLoss - 1e-9) {
          best = t;
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  const shortlist = [...trials.values()].sort((a, b) => a.trainLoss - b.trainLoss).slice(0, o.shortlist ?? 5);
  for (const t of shortlist) t.chooseLoss = fitLoss(choose, modelForecaster(t.params));
  const chosen = shortlist.sort((a, b) => a.chooseLoss! - b.chooseLoss!)[0]!;
  return { chosen: { ...chosen.params, samples: defaultLiveFinishParams.samples }, trials: [...trials.values()] };
}
