import { policyKey, type FreezePolicy } from '../domain/freeze-policy.js';
import type { RaceResult } from '../domain/reference.js';
import { NotFoundError } from '../errors.js';
import { mae, mean, spearman, topKOverlap } from '../evaluation/metrics.js';
import { pointMetrics, scoreRace, type Pairs, type ScoredRace } from '../evaluation/score-race.js';
import type { Repository } from '../repository/index.js';
import { probabilityKinds, type Evaluation, type NewEvaluation, type OrderScores, type ProbabilityKind } from '../domain/scoring.js';
import type { Prediction } from '../domain/prediction.js';

const nullIfNaN = (x: number) => (Number.isFinite(x) ? x : null);

/** The scorer's probability pairs behind each stored probability kind. */
export const pairsOf: Record<ProbabilityKind, Pairs> = { win: 'win', podium: 'podium', points: 'top10', dnf: 'dnf' };
/** The scorer's metric names per kind (brierWin, logLossTop10, eceDnf, ...). */
const metricSuffix: Record<ProbabilityKind, string> = { win: 'Win', podium: 'Podium', points: 'Top10', dnf: 'Dnf' };

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
  const m = s ? pointMetrics([s]) : null;
  const value = (k: string) => (m ? nullIfNaN(m[k]!) : null);
  const per = (metric: 'brier' | 'logLoss' | 'ece') =>
    Object.fromEntries(probabilityKinds.map((k) => [k, value(`${metric}${metricSuffix[k]}`)])) as Record<ProbabilityKind, number | null>;
  const forecast = new Set(prediction.entries.map((e) => e.driverId));
  return {
    raceId: prediction.raceId,
    predictionId: prediction.id,
    starters: s?.absErrors.length ?? 0,
    positionMae: value('positionMae'),
    timeMaeSeconds: s?.gapAbsErrors.length ? mean(s.gapAbsErrors) : null,
    winnerCorrect: s?.winnerCorrect === 1,
    podiumAccuracy: value('podiumOverlap'),
    top10Accuracy: value('top10Overlap'),
    spearman: value('spearman'),
    brier: per('brier'),
    logLoss: per('logLoss'),
    calibrationError: per('ece'),
    intervalCoverage: value('gapCoverage80'),
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
 * Scores the official snapshot of a race under every freeze policy that has one and stores
 * the scores (upsert: one row per race and prediction); superseded and retrospective
 * snapshots are never scored (the database refuses it too). Each score names the
 * classification version it is against (the race's current one; null when its results were
 * never synced): a re-score after a correction keeps the old score in the store's history.
 * Returns the evaluation under `policy`, or null when the race has no official snapshot under it.
 */
export async function evaluateRace(repo: Repository, raceId: number, policy: FreezePolicy): Promise<Evaluation | null> {
  const results = await repo.reference.results(raceId);
  if (results.length === 0) throw new NotFoundError('results of race', raceId);
  const resultVersion = (await repo.resultVersions.current(raceId))?.version ?? null;
  let wanted: Evaluation | null = null;
  for (const prediction of await repo.predictions.officialForRace(raceId)) {
    const evaluation = await repo.evaluations.upsert({ ...scorePrediction(prediction, results), resultVersion });
    if (policyKey(prediction.freezePolicy) === policyKey(policy)) wanted = evaluation;
  }
  return wanted;
}
