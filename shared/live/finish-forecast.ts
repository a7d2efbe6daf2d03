import type { PredictionEntry } from '../domain/prediction.js';
import { seededRandom } from '../evaluation/bootstrap.js';
import type { LiveCar, LiveFinishOdds, LiveRaceState, TrackStatus } from './types.js';

/**
 * The live finishing forecast: every car's time behind the leader at the flag, sampled.
 * A car's projected deficit is its gap now (shrunk under a safety car, which bunches the
 * field), plus the pit-loss time of the stops it still owes (the two-compound rule, the
 * tyres' remaining life), plus its pre-race pace deficit over the laps left, plus noise
 * that grows with the laps left (so uncertainty shrinks as the race runs), and the chance
 * that a later safety car bunches the field; each car may retire over the remaining distance at its prior P(DNF)'s rate. All
 * probabilities and expected positions come from the same sampled orders, so they are
 * coherent across the field (P(win) sums to 1, P(podium) to 3, P(points) to 10).
 */

/** The frozen pre-race forecast of one driver: the live forecast's prior. */
export type PriorEntry = Pick<
  PredictionEntry,
  'driverId' | 'pWin' | 'pPodium' | 'pPoints' | 'pDnf' | 'expectedPosition' | 'gapSeconds' | 'gapLowSeconds' | 'gapHighSeconds'
>;

export interface LiveFinishParams {
  /** Noise of a car's deficit at the flag with 25 laps left, seconds; with L left it is × (L / 25)^noiseExponent. */
  sigmaAt25Laps: number;
  /** 0.5: a random walk over the laps left; 1: a pace error that persists. */
  noiseExponent: number;
  /** Seconds added per place down the running order: track position holds more than the gaps alone say (overtaking is hard). */
  holdSeconds: number;
  /** Chance per lap left that a safety car bunches the field again (the current gaps × scGapFactor in that sample). */
  futureScPerLap: number;
  /** Weight of the prior's per-lap pace deficit (its gap to the winner / race laps) over the laps left. */
  paceWeight: number;
  /** Share of the current gaps that still counts under a safety car, and under a VSC (or a red flag: SC's). */
  scGapFactor: number;
  vscGapFactor: number;
  /** A stint lasts at most this many times the circuit's median stint (the tyres' stops owed). */
  stintStretch: number;
  /** Multiplier on the prior's P(DNF) as a hazard over the remaining distance. */
  dnfScale: number;
  /** Pseudo-samples (share of the samples) spread evenly over the running cars: keeps a long shot off zero. */
  smoothing: number;
  samples: number;
}

/** What the forecast needs to know of the circuit: passed in, from its history. */
export interface FinishContext {
  /** Time lost by one stop (pit lane plus stationary), seconds. */
  pitLossSeconds?: number;
  /** The circuit's median stint length in earlier seasons, laps. */
  medianStint?: number;
}

export const DEFAULT_PIT_LOSS_SECONDS = 22;
const PRIOR_GAP_CAP_SECONDS = 120;

/**
 * Chosen by `npx pitwall backtest-live` (run of 2026-12-03 15:05 UTC): coordinate search on
 * 2019–2022 at 11 shares of the race (76 trials, 600 samples each), the best of the five
 * lowest training losses on 2023. The two-compound rule alone beat the tyres' stint
 * estimate (stintStretch 100 = never a tyre stop), and no later safety car was chosen.
 */
export const defaultLiveFinishParams: LiveFinishParams = {
  sigmaAt25Laps: 15,
  noiseExponent: 0.5,
  holdSeconds: 4,
  futureScPerLap: 0,
  paceWeight: 1.5,
  scGapFactor: 0.8,
  vscGapFactor: 1,
  stintStretch: 100,
  dnfScale: 1.5,
  smoothing: 0.01,
  samples: 4000,
};

const wet = (c: string | null | undefined) => c === 'INTERMEDIATE' || c === 'WET';

/**
 * Stops a running car still owes: one while a dry race's two-compound rule is unmet (a car
 * that has run intermediates or wets is exempt; unknown tyres owe nothing), or as many as
 * its tyres need to reach the flag, a stint lasting at most `stintStretch` × the circuit's
 * median stint (when the circuit's history is known). The circuit's median stops per car
 * was tried instead and misled: one chaotic year (2023 Australia: 3) counts for every car.
 */
export function stopsOwed(car: LiveCar, lapsLeft: number, medianStint: number | undefined, stintStretch: number): number {
  if (car.retired || lapsLeft <= 0) return 0;
  const used = car.compoundsUsed ?? [];
  const dry = new Set(used.filter((c) => c === 'SOFT' || c === 'MEDIUM' || c === 'HARD'));
  const ruleOwed = !used.some(wet) && !wet(car.compound) && dry.size === 1 ? 1 : 0;
  const longest = medianStint !== undefined && medianStint > 0 ? stintStretch * medianStint : Infinity;
  const tyreOwed = Number.isFinite(longest) ? Math.max(0, Math.ceil(((car.tyreLife ?? 0) + lapsLeft) / longest) - 1) : 0;
  return Math.max(ruleOwed, tyreOwed);
}

function gapFactor(status: TrackStatus, p: LiveFinishParams): number {
  if (status === 'sc' || status === 'red') return p.scGapFactor;
  if (status === 'vsc') return p.vscGapFactor;
  return 1;
}

function priorOdds(state: LiveRaceState, prior: readonly PriorEntry[]): LiveFinishOdds[] {
  const byDriver = new Map(prior.map((e) => [e.driverId, e]));
  return state.cars.map((c) => {
    const e = byDriver.get(c.driverId);
    return { driverId: c.driverId, win: e?.pWin ?? 0, podium: e?.pPodium ?? 0, points: e?.pPoints ?? 0, expectedPosition: e?.expectedPosition ?? state.cars.length };
  });
}

export function liveFinishForecast(
  state: LiveRaceState,
  prior: readonly PriorEntry[],
  params: LiveFinishParams = defaultLiveFinishParams,
  seed = 1,
  context: FinishContext = {},
): LiveFinishOdds[] {
  if (state.lap === 0 && prior.length > 0) return priorOdds(state, prior);
  const n = state.cars.length;
  if (n === 0) return [];
  const byDriver = new Map(prior.map((e) => [e.driverId, e]));
  const lapsLeft = Math.max(0, state.totalLaps - state.lap);
  const share = state.totalLaps > 0 ? lapsLeft / state.totalLaps : 0;
  const pitLoss = context.pitLossSeconds ?? DEFAULT_PIT_LOSS_SECONDS;
  const factor = gapFactor(state.trackStatus, params);
  const sigma = params.sigmaAt25Laps * (lapsLeft / 25) ** params.noiseExponent;
  const pFutureSc = 1 - (1 - params.futureScPerLap) ** lapsLeft;

  const running = state.cars.filter((c) => !c.retired);
  const retired = state.cars.filter((c) => c.retired).sort((a, b) => b.lapsCompleted - a.lapsCompleted);
  const m = running.length;
  const base = new Float64Array(m);
  // The part of the deficit a (further) safety car bunches: the gap on the road.
  const bunchable = new Float64Array(m);
  const retire = new Float64Array(m);
  for (const [i, c] of running.entries()) {
    const e = byDriver.get(c.driverId);
    const pacePerLap = e && state.totalLaps > 0 ? Math.min(PRIOR_GAP_CAP_SECONDS, Math.max(0, e.gapSeconds)) / state.totalLaps : 0;
    bunchable[i] = ((c.gapToLeaderMs ?? 0) / 1000) * factor;
    base[i] = bunchable[i]! + params.holdSeconds * i + stopsOwed(c, lapsLeft, context.medianStint, params.stintStretch) * pitLoss + params.paceWeight * pacePerLap * lapsLeft;
    const pDnf = Math.min(0.95, Math.max(0, (e?.pDnf ?? 0.1) * params.dnfScale));
    retire[i] = 1 - (1 - pDnf) ** share;
  }

  const S = Math.max(1, Math.floor(params.samples));
  const rand = seededRandom(seed);
  const wins = new Float64Array(n);
  const podiums = new Float64Array(n);
  const points = new Float64Array(n);
  const positionSum = new Float64Array(n);
  const deficit = new Float64Array(m);
  const order = new Int32Array(m);
  let spare: number | null = null;
  const normal = () => {
    if (spare !== null) {
      const z = spare;
      spare = null;
      return z;
    }
    const u = 1 - rand();
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const place = (car: number, position: number) => {
    if (position === 1) wins[car]! += 1;
    if (position <= 3) podiums[car]! += 1;
    if (position <= 10) points[car]! += 1;
    positionSum[car]! += position;
  };
  const shrink = 1 - params.scGapFactor;
  for (let s = 0; s < S; s++) {
    const bunched = pFutureSc > 0 && rand() < pFutureSc;
    for (let i = 0; i < m; i++) {
      // A retirement sorts behind every finisher (and keeps the running order among retirees).
      deficit[i] = rand() < retire[i]! ? 1e9 + i : base[i]! - (bunched ? shrink * bunchable[i]! : 0) + sigma * normal();
    }
    // Insertion sort: for a field of 20 faster than Array.prototype.sort with a comparator.
    for (let i = 0; i < m; i++) order[i] = i;
    for (let i = 1; i < m; i++) {
      const x = order[i]!;
      const d = deficit[x]!;
      let j = i - 1;
      while (j >= 0 && deficit[order[j]!]! > d) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = x;
    }
    for (let k = 0; k < m; k++) place(order[k]!, k + 1);
    for (let k = 0; k < retired.length; k++) place(m + k, m + k + 1);
  }

  // Pseudo-samples a·k spread over the running cars, so each sum stays exactly k.
  const a = params.smoothing * S;
  const smoothed = (count: number, k: number, isRunning: boolean) => (count + (isRunning && m > 0 ? (a * Math.min(k, m)) / m : 0)) / (S + (m > 0 ? a : 0));
  const out = new Map<number, LiveFinishOdds>();
  const cars = [...running, ...retired];
  for (const [i, c] of cars.entries()) {
    const isRunning = i < m;
    out.set(c.driverId, {
      driverId: c.driverId,
      win: smoothed(wins[i]!, 1, isRunning),
      podium: smoothed(podiums[i]!, 3, isRunning),
      points: smoothed(points[i]!, 10, isRunning),
      expectedPosition: positionSum[i]! / S,
    });
  }
  return state.cars.map((c) => out.get(c.driverId)!);
}
