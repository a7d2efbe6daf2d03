/**
 * How a frozen forecast is scored against the official result, as stored and served: the
 * one scorer (evaluation/score-race.ts) computes these, the live evaluation stores them.
 */

/** The probabilities a snapshot states and an evaluation scores, in their stored order. */
export const probabilityKinds = ['win', 'podium', 'points', 'dnf'] as const;
export type ProbabilityKind = (typeof probabilityKinds)[number];

/** Order scores that exist for both the forecast and the grid-order baseline. */
export interface OrderScores {
  positionMae: number | null;
  winnerCorrect: boolean;
  podiumAccuracy: number | null;
  top10Accuracy: number | null;
  spearman: number | null;
}

export interface Evaluation extends OrderScores {
  id: number;
  raceId: number;
  predictionId: number;
  evaluatedAt: Date;
  starters: number;
  timeMaeSeconds: number | null;
  brier: Record<ProbabilityKind, number | null>;
  logLoss: Record<ProbabilityKind, number | null>;
  calibrationError: Record<ProbabilityKind, number | null>;
  intervalCoverage: number | null;
  baseline: OrderScores;
  /** The classification version scored (domain/result-versions.ts); null for results never synced (a dump ingest scored directly). */
  resultVersion: number | null;
}

export type NewEvaluation = Omit<Evaluation, 'id' | 'evaluatedAt' | 'resultVersion'> & { evaluatedAt?: Date; resultVersion?: number | null };

/** A score that a re-score against a newer classification version replaced, kept as it was. */
export type SupersededEvaluation = Evaluation & { supersededAt: Date };
