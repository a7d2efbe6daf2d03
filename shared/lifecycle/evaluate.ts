import type { RaceResult } from '../domain/reference.js';
import { NotFoundError } from '../errors.js';
import { brier, ece, logLoss, mae, mean, spearman, topKOverlap } from '../evaluation/metrics.js';
import { scoreRace, type Pairs, type ScoredRace } from '../evaluation/score-race.js';
import type { Repository } from '../repository/index.js';
import type { Evaluation, NewEvaluation, OrderScores, Prediction, ProbabilityKind } from './domain.js';

const nullIfNaN = (x: number) => (Number.isFinite(x) ? x : null);

export const probabilityKinds: ProbabilityKind[] = ['win', 'podium', 'points', 'dnf'];

/** The scorer's probability pairs behind each stored probability kind. */
export const pairsOf: Record<ProbabilityKind, Pairs> = { win: 'win', podium: 'podium', points: 'top10', dnf: 'dnf' };

/**
 * A frozen snapshot through the one scorer (evaluation/score-race.ts), as the backtest scores
 * its forecasts. Snapshots frozen before medians were stored have their predicted rank as
 * the point forecast, which is what they were scored on then.
 */
export function scoreSnapshot(prediction: Prediction, results: readonly RaceResult[]): ScoredRace | null {
  const withMedians = prediction.entries.every((e) => e.medianPosition !== null);
  const scored = scoreRace({ raceId: prediction.raceId, drivers: prediction.entries.map((e) => ({ ...e, medianPosition: e.medianPosition ?? e.predictedPosition })) }, 0, results);
  return scored && !withMedians ? { ...scored, absErrors: scored.rankAbsErrors } : scored;
}

/**
 * Scores a frozen prediction against the official classification with the backtest's scorer:
 * positions over the drivers both in the prediction and among the starters (DNFs by their
 * classification order), gaps over the timed finishers behind the winner. The grid-order
 * baseline (the final grid, known after the race) is scored on the same drivers.
 */
export function scorePrediction(prediction: Prediction, results: readonly RaceResult[]): NewEvaluation {
  const s = scoreSnapshot(prediction, results);
  const forecast = new Set(prediction.entries.map((e) => e.driverId));
  const per = (f: (p: number[], y: number[]) => number) =>
    Object.fromEntries(probabilityKinds.map((k) => [k, s ? nullIfNaN(f(s[pairsOf[k]].map((x) => x[0]), s[pairsOf[k]].map((x) => x[1]))) : null])) as Record<ProbabilityKind, number | null>;
  const orNull = (xs: readonly number[] | undefined) => (xs?.length ? mean(xs) : null);
  return {
    raceId: prediction.raceId,
    predictionId: prediction.id,
    starters: s?.absErrors.length ?? 0,
    positionMae: orNull(s?.absErrors),
    timeMaeSeconds: orNull(s?.gapAbsErrors),
    winnerCorrect: s?.winnerCorrect === 1,
    podiumAccuracy: s ? nullIfNaN(s.podiumOverlap) : null,
    top10Accuracy: s ? nullIfNaN(s.top10Overlap) : null,
    spearman: s ? nullIfNaN(s.spearman) : null,
    brier: per((p, y) => brier(p, y)),
    logLoss: per((p, y) => logLoss(p, y)),
    calibrationError: per((p, y) => ece(p, y)),
    intervalCoverage: orNull(s?.gapCovered),
    baseline: gridBaseline(results.filter((r) => forecast.has(r.driverId))),
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
