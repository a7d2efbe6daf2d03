import type { RaceResult } from '../domain/reference.js';
import { NotFoundError } from '../errors.js';
import { brier, ece, intervalCoverage, logLoss, mae, spearman, topKOverlap } from '../evaluation/metrics.js';
import { isFinisher } from '../ingest/quirks.js';
import type { Repository } from '../repository/index.js';
import type { Evaluation, NewEvaluation, OrderScores, Prediction, ProbabilityKind } from './domain.js';

const nullIfNaN = (x: number) => (Number.isFinite(x) ? x : null);

export const probabilityKinds: ProbabilityKind[] = ['win', 'podium', 'points', 'dnf'];

/** What each forecast probability is the probability of, read off the classification. */
export const outcome: Record<ProbabilityKind, (r: RaceResult) => boolean> = {
  win: (r) => r.positionOrder === 1,
  podium: (r) => r.positionOrder <= 3,
  points: (r) => r.positionOrder <= 10,
  dnf: (r) => !isFinisher(r.status),
};

export const probability: Record<ProbabilityKind, (e: Prediction['entries'][number]) => number> = {
  win: (e) => e.pWin,
  podium: (e) => e.pPodium,
  points: (e) => e.pPoints,
  dnf: (e) => e.pDnf,
};

/**
 * Scores a frozen prediction against the official classification. Position scores are
 * over the drivers both in the prediction and classified (all starters, DNFs by their
 * classification order); time scores over finishers on the lead lap's clock (those with
 * a race time). The grid-order baseline is scored on the same drivers.
 * Position MAE scores the median position, as the backtest does (for grid order the median
 * is the grid slot); snapshots frozen before medians were stored fall back to their
 * predicted rank, which is what they were scored on then.
 */
export function scorePrediction(prediction: Prediction, results: readonly RaceResult[]): NewEvaluation {
  const byDriver = new Map(results.map((r) => [r.driverId, r]));
  const paired = prediction.entries.filter((e) => byDriver.has(e.driverId)).map((e) => ({ e, r: byDriver.get(e.driverId)! }));
  // Actual and predicted ranks within the paired drivers, so both sides are 1..m.
  const actualOrder = [...paired].sort((a, b) => a.r.positionOrder - b.r.positionOrder).map((p) => p.e.driverId);
  const predictedOrder = [...paired].sort((a, b) => a.e.predictedPosition - b.e.predictedPosition).map((p) => p.e.driverId);
  const actualRank = new Map(actualOrder.map((id, i) => [id, i + 1]));
  const predictedRank = new Map(predictedOrder.map((id, i) => [id, i + 1]));

  const winner = results.find((r) => r.positionOrder === 1);
  const per = (f: (p: number[], y: boolean[]) => number) =>
    Object.fromEntries(
      probabilityKinds.map((k) => [k, paired.length ? nullIfNaN(f(paired.map((x) => probability[k](x.e)), paired.map((x) => outcome[k](x.r)))) : null]),
    ) as Record<ProbabilityKind, number | null>;

  const timed = paired.filter((p) => p.r.milliseconds !== null && winner?.milliseconds != null);
  const actualGap = (r: RaceResult) => (r.milliseconds! - winner!.milliseconds!) / 1000;

  const ids = paired.map((p) => p.e.driverId);
  const pointForecast = paired.every((p) => p.e.medianPosition !== null)
    ? new Map(paired.map((p) => [p.e.driverId, p.e.medianPosition!]))
    : predictedRank;
  return {
    raceId: prediction.raceId,
    predictionId: prediction.id,
    starters: paired.length,
    positionMae: paired.length ? mae(ids.map((id) => pointForecast.get(id)!), ids.map((id) => actualRank.get(id)!)) : null,
    timeMaeSeconds: timed.length ? mae(timed.map((p) => p.e.gapSeconds), timed.map((p) => actualGap(p.r))) : null,
    winnerCorrect: winner !== undefined && predictedOrder[0] === winner.driverId,
    podiumAccuracy: nullIfNaN(topKOverlap(predictedOrder, actualOrder, 3)),
    top10Accuracy: nullIfNaN(topKOverlap(predictedOrder, actualOrder, 10)),
    spearman: paired.length > 1 ? nullIfNaN(spearman(ids.map((id) => predictedRank.get(id)!), ids.map((id) => actualRank.get(id)!))) : null,
    brier: per(brier),
    logLoss: per(logLoss),
    calibrationError: per((p, y) => ece(p, y)),
    intervalCoverage: timed.length
      ? intervalCoverage(timed.map((p) => p.e.gapLowSeconds), timed.map((p) => p.e.gapHighSeconds), timed.map((p) => actualGap(p.r)))
      : null,
    baseline: gridBaseline(results.filter((r) => byDriver.has(r.driverId) && predictedRank.has(r.driverId))),
  };
}

/** Grid order as the forecast (pit-lane starts, grid 0, at the back). */
export function gridBaseline(results: readonly RaceResult[]): OrderScores {
  const gridKey = (r: RaceResult) => (r.grid > 0 ? r.grid : 1000 + r.positionOrder);
  const gridOrder = [...results].sort((a, b) => gridKey(a) - gridKey(b)).map((r) => r.driverId);
  const actualOrder = [...results].sort((a, b) => a.positionOrder - b.positionOrder).map((r) => r.driverId);
  const g = new Map(gridOrder.map((id, i) => [id, i + 1]));
  const a = new Map(actualOrder.map((id, i) => [id, i + 1]));
  const ids = results.map((r) => r.driverId);
  return {
    positionMae: ids.length ? mae(ids.map((id) => g.get(id)!), ids.map((id) => a.get(id)!)) : null,
    winnerCorrect: ids.length > 0 && gridOrder[0] === actualOrder[0],
    podiumAccuracy: nullIfNaN(topKOverlap(gridOrder, actualOrder, 3)),
    top10Accuracy: nullIfNaN(topKOverlap(gridOrder, actualOrder, 10)),
    spearman: ids.length > 1 ? nullIfNaN(spearman(ids.map((id) => g.get(id)!), ids.map((id) => a.get(id)!))) : null,
  };
}

/**
 * Evaluates the latest frozen prediction of a race and stores the scores (upsert: one
 * row per race and prediction). Returns null when the race has no prediction to score.
 */
export async function evaluateRace(repo: Repository, raceId: number): Promise<Evaluation | null> {
  const results = await repo.reference.results(raceId);
  if (results.length === 0) throw new NotFoundError('results of race', raceId);
  const prediction = await repo.predictions.latestForRace(raceId);
  if (!prediction) return null;
  return repo.evaluations.upsert(scorePrediction(prediction, results));
}
