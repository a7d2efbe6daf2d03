import type { Compound } from '../domain/reference.js';
import type { Logger } from '../log/logger.js';
import type { Repository } from '../repository/index.js';
import { fitHazardModel, lastYearCircuitMedian, type PastRaceStops, type StrategyForecast } from './baselines.js';
import { buildWindows, horizons, pitNextLabels, type WindowSet } from './dataset.js';
import { buildSequences, type DriverSequence } from './features.js';
import { loadPitRaces, type PitRace } from './load.js';
import { brier, mean } from '../evaluation/metrics.js';
import { atThreshold, bestF1Threshold, hitRateWithinOne, prAuc } from './metrics.js';
import { buildPitModel, fitPitModel, predictPits } from './model.js';
import { loadPreRaceForecaster } from './prerace.js';
import { rolloutStrategy } from './strategy.js';
import { defaultTrainPit, type TrainPitOptions } from './train.js';
import { ConflictError } from '../errors.js';

/**
 * Walk-forward backtest: train on 2019–2022, choose the BiLSTM's epoch (early stopping on
 * PR-AUC) and each classifier's threshold on 2023, test on 2024 R1–R18 (where tyre data
 * exists) at the natural base rate: every lap of every car, never resampled.
 */
export interface BacktestOptions extends TrainPitOptions {
  testSeason: number;
  testMaxRound: number;
}

/** The training job's model and fit, one season earlier, so that 2024 is left to test on. */
export const defaultBacktest: BacktestOptions = {
  ...defaultTrainPit,
  trainSeasons: [2019, 2022],
  thresholdSeason: 2023,
  testSeason: 2024,
  testMaxRound: 18,
};

export interface LapMetrics {
  prAuc: number;
  /** PR-AUC of P(pit within the next 3 laps) and 5 laps, against those labels. */
  prAucWithin3: number;
  prAucWithin5: number;
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  hitRateWithin1Lap: number;
  brier: number;
}

export interface StrategyMetrics {
  stopsAccuracy: number;
  firstStopLapMae: number;
  /** Drivers with a forecast / drivers in the test races. */
  coverage: number;
}

export type MethodMetrics = Partial<LapMetrics> & StrategyMetrics;

export interface BacktestReport {
  split: { train: string; threshold: string; test: string };
  testLaps: number;
  testStops: number;
  baseRate: number;
  /** Share of test laps followed by a stop within 3 and 5 laps. */
  baseRateWithin3: number;
  baseRateWithin5: number;
  /**
   * Lap metrics of the BiLSTM; strategy metrics of the pre-race forecaster (prerace.ts),
   * with the BiLSTM rolled forward over the race beside it as `rollout`.
   */
  model: MethodMetrics & { rollout: StrategyMetrics };
  baselines: { tyreLifeHazard: MethodMetrics; lastYearCircuitMedian: MethodMetrics };
  skippedRaces: { season: number; round: number; reason: string }[];
  trainSeconds: number;
  /** Early stopping on the threshold season: the epoch kept and every epoch's PR-AUC there. */
  epochKept: number;
  thresholdSeasonPrAucByEpoch: number[];
  /** The same lap metrics on the threshold season (where every choice was made; F1 at its own best threshold). */
  thresholdSeason: { model: LapMetrics; tyreLifeHazard: LapMetrics };
}

export interface BacktestDeps {
  repo: Repository;
  logger: Logger;
}

/** The labels of horizon j (0: next lap, 1: within 3, 2: within 5). */
const horizonLabels = (set: WindowSet, j: number) => Array.from({ length: set.n }, (_, r) => set.targets[r * horizons.length + j]!);

function lapMetrics(val: { set: WindowSet; p: number[][] }, test: { set: WindowSet; p: number[][]; stops: Stop[] }): LapMetrics {
  const next = (p: number[][]) => p.map((r) => r[0]!);
  const threshold = bestF1Threshold(next(val.p), pitNextLabels(val.set));
  const y = pitNextLabels(test.set);
  const p = next(test.p);
  return {
    prAuc: prAuc(p, y),
    prAucWithin3: prAuc(test.p.map((r) => r[1]!), horizonLabels(test.set, 1)),
    prAucWithin5: prAuc(test.p.map((r) => r[2]!), horizonLabels(test.set, 2)),
    threshold,
    ...atThreshold(p, y, threshold),
    hitRateWithin1Lap: hitRateWithinOne(test.set.keys, p, test.stops, threshold),
    brier: brier(p, y),
  };
}

type Stop = { raceId: number; driverId: number; lap: number };

/** Stops the test can score: the car drove the lap before (so a forecast existed). */
function scorableStops(sequences: DriverSequence[]): Stop[] {
  return sequences.flatMap((s) => s.stops.filter((lap) => s.laps.includes(lap - 1)).map((lap) => ({ raceId: s.raceId, driverId: s.driverId, lap })));
}

function strategyMetrics(sequences: DriverSequence[], forecastFor: (raceId: number, driverId: number) => StrategyForecast | undefined): StrategyMetrics {
  const right: number[] = [];
  const errors: number[] = [];
  for (const s of sequences) {
    const f = forecastFor(s.raceId, s.driverId);
    if (!f) continue;
    right.push(f.stops === s.stops.length ? 1 : 0);
    if (s.stops.length > 0) errors.push(Math.abs(f.firstStopLap - s.stops[0]!));
  }
  return { stopsAccuracy: mean(right), firstStopLapMae: mean(errors), coverage: right.length / sequences.length };
}

/** The starting compound most cars chose at the circuit the season before (MEDIUM when unknown). */
function usualStartCompound(history: PitRace[], season: number, circuitId: number): Compound {
  const counts = new Map<Compound, number>();
  for (const r of history.filter((h) => h.season === season - 1 && h.circuitId === circuitId)) {
    for (const l of r.laps) if (l.lap === 1 && l.compound && l.compound !== 'UNKNOWN') counts.set(l.compound, (counts.get(l.compound) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'MEDIUM';
}

export async function runPitBacktest(deps: BacktestDeps, o: BacktestOptions = defaultBacktest): Promise<BacktestReport> {
  const { repo, logger } = deps;
  const train = await loadPitRaces(repo, { fromSeason: o.trainSeasons[0], toSeason: o.trainSeasons[1] });
  const val = await loadPitRaces(repo, { fromSeason: o.thresholdSeason, toSeason: o.thresholdSeason });
  const test = await loadPitRaces(repo, {
    fromSeason: o.testSeason,
    toSeason: o.testSeason,
    maxRound: { season: o.testSeason, round: o.testMaxRound },
  });
  for (const [what, set, seasons] of [['training', train, o.trainSeasons.join('–')], ['threshold', val, o.thresholdSeason], ['test', test, o.testSeason]] as const) {
    if (set.races.length === 0) throw new ConflictError(`no races with lap data in the ${what} seasons (${seasons}): load lap files first (npx pitwall ingest --laps ../shared/data/laps)`);
  }
  const seqs = {
    train: train.races.flatMap(buildSequences),
    val: val.races.flatMap(buildSequences),
    test: test.races.flatMap(buildSequences),
  };
  const w = o.model.window;
  const sets = { train: buildWindows(seqs.train, w), val: buildWindows(seqs.val, w), test: buildWindows(seqs.test, w) };
  const testStops = scorableStops(seqs.test);
  logger.info('pit backtest data', { trainRows: sets.train.n, valRows: sets.val.n, testRows: sets.test.n, testStops: testStops.length });

  const started = Date.now();
  const model = buildPitModel(o.model);
  const valLabels = pitNextLabels(sets.val);
  const fit = await fitPitModel(model, sets.train, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    score: (m) => prAuc(predictPits(m, sets.val.windows, sets.val.n, w).map((r) => r[0]!), valLabels),
    onEpoch: (epoch, loss, valPrAuc) => logger.info('pit model epoch', { epoch: epoch + 1, of: o.epochs, loss, valPrAuc }),
  });
  const trainSeconds = (Date.now() - started) / 1000;
  const pAll = (set: WindowSet) => predictPits(model, set.windows, set.n, set.w);
  const p1 = (set: WindowSet) => pAll(set).map((r) => r[0]!);
  const hazard = await fitHazardModel(sets.train);
  const hAll = (set: WindowSet) => hazard.predict(set);
  const h1 = (set: WindowSet) => hAll(set).map((r) => r[0]!);

  const history = [...train.races, ...val.races];
  const pastStops: PastRaceStops[] = [...train.races, ...val.races].map((r) => ({
    season: r.season,
    circuitId: r.circuitId,
    stopsByDriver: buildSequences(r).map((s) => s.stops),
  }));
  const testRace = new Map(test.races.map((r) => [r.raceId, r]));
  const circuitMedian = (raceId: number) => {
    const r = testRace.get(raceId)!;
    return lastYearCircuitMedian(pastStops, r.season, r.circuitId);
  };
  // One rollout per race and starting compound: the tyre each car starts on is known on
  // the grid before the start (its lap-1 compound); when missing, the circuit's usual one.
  const startCompound = (raceId: number, driverId: number): Compound => {
    const r = testRace.get(raceId)!;
    const first = r.laps.find((l) => l.driverId === driverId && l.lap === Math.min(...r.laps.filter((x) => x.driverId === driverId).map((x) => x.lap)));
    return first?.compound && first.compound !== 'UNKNOWN' ? first.compound : usualStartCompound(history, r.season, r.circuitId);
  };
  const rollouts = (predict: (set: WindowSet) => number[]) => {
    const cache = new Map<string, StrategyForecast>();
    return (raceId: number, driverId: number) => {
      const r = testRace.get(raceId)!;
      const compound = startCompound(raceId, driverId);
      const key = `${raceId}/${compound}`;
      if (!cache.has(key)) cache.set(key, rolloutStrategy(predict, { totalLaps: r.totalLaps, startCompound: compound, window: w, ...(r.circuit ? { circuit: r.circuit } : {}) }));
      return cache.get(key);
    };
  };

  // The circuit-median baseline as a lap classifier: it calls a stop on last year's
  // median lap of each stop number at the circuit.
  const medianStopLaps = new Map<number, Set<number>>();
  for (const r of test.races) {
    const last = pastStops.filter((h) => h.season === r.season - 1 && h.circuitId === r.circuitId).flatMap((h) => h.stopsByDriver);
    const laps = new Set<number>();
    const f = lastYearCircuitMedian(pastStops, r.season, r.circuitId);
    for (let k = 0; f && k < f.stops; k++) {
      const kth = last.filter((s) => s.length > k).map((s) => s[k]!).sort((a, b) => a - b);
      if (kth.length) laps.add(kth[kth.length >> 1]!);
    }
    medianStopLaps.set(r.raceId, laps);
  }
  const preRace = await loadPreRaceForecaster(repo, { fromSeason: o.testSeason, toSeason: o.testSeason });
  const preRaceFor = (raceId: number, driverId: number) => preRace.forecast(testRace.get(raceId)!, startCompound(raceId, driverId));

  const medianScore = (set: WindowSet) => set.keys.map((k) => (medianStopLaps.get(k.raceId)?.has(k.lap + 1) ? 1 : 0));

  const report: BacktestReport = {
    split: {
      train: `${o.trainSeasons[0]}–${o.trainSeasons[1]}`,
      threshold: String(o.thresholdSeason),
      test: `${o.testSeason} R1–R${o.testMaxRound}`,
    },
    testLaps: sets.test.n,
    testStops: testStops.length,
    baseRate: mean(pitNextLabels(sets.test)),
    baseRateWithin3: mean(horizonLabels(sets.test, 1)),
    baseRateWithin5: mean(horizonLabels(sets.test, 2)),
    model: {
      ...lapMetrics({ set: sets.val, p: pAll(sets.val) }, { set: sets.test, p: pAll(sets.test), stops: testStops }),
      ...strategyMetrics(seqs.test, preRaceFor),
      rollout: strategyMetrics(seqs.test, rollouts(p1)),
    },
    baselines: {
      tyreLifeHazard: {
        ...lapMetrics({ set: sets.val, p: hAll(sets.val) }, { set: sets.test, p: hAll(sets.test), stops: testStops }),
        ...strategyMetrics(seqs.test, rollouts(h1)),
      },
      lastYearCircuitMedian: (() => {
        const y = pitNextLabels(sets.test);
        const p = medianScore(sets.test);
        return {
          prAuc: prAuc(p, y),
          threshold: 1,
          ...atThreshold(p, y, 1),
          hitRateWithin1Lap: hitRateWithinOne(sets.test.keys, p, testStops, 1),
          brier: brier(p, y),
          ...strategyMetrics(seqs.test, circuitMedian),
        };
      })(),
    },
    thresholdSeason: {
      model: lapMetrics({ set: sets.val, p: pAll(sets.val) }, { set: sets.val, p: pAll(sets.val), stops: scorableStops(seqs.val) }),
      tyreLifeHazard: lapMetrics({ set: sets.val, p: hAll(sets.val) }, { set: sets.val, p: hAll(sets.val), stops: scorableStops(seqs.val) }),
    },
    skippedRaces: [...train.skipped, ...val.skipped, ...test.skipped],
    trainSeconds,
    epochKept: fit.epoch,
    thresholdSeasonPrAucByEpoch: fit.scores,
  };
  hazard.dispose();
  model.dispose();
  return report;
}
