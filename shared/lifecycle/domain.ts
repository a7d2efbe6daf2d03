import type { FreezePolicy } from '../config/config.js';

/** A frozen, immutable pre-race forecast as stored and served. */
export interface PredictionEntry {
  driverId: number;
  constructorId: number;
  predictedPosition: number;
  expectedPosition: number;
  /** Median finishing position (the scored point forecast); null in snapshots frozen before it was stored. */
  medianPosition: number | null;
  gapSeconds: number;
  gapLowSeconds: number;
  gapHighSeconds: number;
  /** The gap to the winner exceeds the plausibility limit (120 s). */
  gapFlagged: boolean;
  pWin: number;
  pPodium: number;
  pPoints: number;
  pDnf: number;
  featureCoverage: number;
  imputedCount: number;
  /** Optional strategy forecast (stops, first pit window), null until a pit-stop model fills it. */
  strategy: Record<string, unknown> | null;
}

export type SessionType = 'qualifying' | 'pre_race';

export interface Prediction {
  id: number;
  raceId: number;
  modelVersion: string;
  createdAt: Date;
  freezePolicy: FreezePolicy;
  /** The instant the features were computed as of. */
  snapshotAt: Date;
  /** The last session whose outcome the snapshot includes. */
  sessionType: SessionType;
  inputsHash: string;
  confidence: number;
  featureCoverage: number;
  imputedCount: number;
  status: 'frozen';
  warnings: string[];
  entries: PredictionEntry[];
}

export type NewPrediction = Omit<Prediction, 'id' | 'createdAt' | 'status'> & { createdAt?: Date };

export type ProbabilityKind = 'win' | 'podium' | 'points' | 'dnf';

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
}

export type NewEvaluation = Omit<Evaluation, 'id' | 'evaluatedAt'> & { evaluatedAt?: Date };
