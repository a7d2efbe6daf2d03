import type { ForecastReason } from './forecast.js';
import type { FreezePolicy, SessionType } from './freeze-policy.js';
import type { SnapshotWeather } from './weather.js';

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
  /** The forecast's biggest reasons; null in snapshots frozen before reasons were stored (migration 015) or by a model without them. */
  reasons: ForecastReason[] | null;
}

/**
 * P(driver A finishes ahead of driver B) for every pair of a snapshot, from the same sampled orders
 * as its other probabilities: p[i][j] for driverIds[i] ahead of driverIds[j] (3 decimals).
 */
export interface HeadToHead {
  driverIds: number[];
  p: number[][];
}

/**
 * forecast: frozen before the race by a model that had seen nothing from the freeze instant on;
 * retrospective: anything else (a freeze after the start, a model that has seen the race),
 * labelled, never official, never scored.
 */
export type SnapshotKind = 'forecast' | 'retrospective';

export interface Prediction {
  id: number;
  raceId: number;
  modelVersion: string;
  kind: SnapshotKind;
  /** The clock the freeze ran on: a season replay's simulated clock, or the wall clock. */
  clock: 'wall' | 'simulated';
  /** The freeze clock's time: simulated in a replay (the database sets it for the wall clock). */
  createdAt: Date;
  /** When the row was really written (the database's clock). */
  recordedAt: Date;
  /** The first forecast of its race and freeze policy: the one every listing and score uses. */
  official: boolean;
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
  /** The race-day forecast the freeze saw, or why it saw none; null: frozen before weather was recorded (migration 010). */
  weather: SnapshotWeather | null;
  /** Pairwise head-to-head odds; null: frozen before they were stored (migration 015), or a forecaster that samples no orders. */
  headToHead: HeadToHead | null;
}

export type NewPrediction = Omit<Prediction, 'id' | 'status' | 'recordedAt' | 'official' | 'weather' | 'headToHead'> & {
  weather?: SnapshotWeather | null;
  headToHead?: HeadToHead | null;
};
