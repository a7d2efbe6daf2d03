import type { GridChange } from './grid-change.js';

/**
 * A pre-race forecast for one race, as the model produces it and the prediction
 * lifecycle freezes it. Probabilities are coherent across the field: over the starters
 * P(win) sums to 1, P(podium) to 3, P(top 10) to 10 (min(n, k) for small fields).
 */

/**
 * One reason a forecast says what it says, model-agnostic: a feature (or a model term such as the
 * team offset) and how much it moves this driver away from what the grid slot alone would say (for a
 * pre-weekend model, away from its own baseline). Reasons come sorted by |effect|, biggest first.
 */
export interface ForecastReason {
  /**
   * Machine name: a feature name (e.g. "constructorRaceGain") or a model term ("teamOffset";
   * "overall", the pooled forecast's whole departure from the grid slot, always listed first).
   */
  feature: string;
  /** What the feature is, for a reader: "team's places gained from the grid, last 20 starts". */
  label: string;
  /** The feature's value in its own unit; null when it was missing (imputed) or is a model term. */
  value: number | null;
  /** The value in words with its unit: "+1.3 a race", "missing". */
  valueText: string;
  /**
   * The effect in expected finishing positions: negative = finishes higher up (better) than
   * without this reason, e.g. -0.8 means about 0.8 places better.
   */
  effect: number;
  /** The effect in words: "≈ 0.8 places better". */
  effectText: string;
  /** One sentence: "team's places gained from the grid, last 20 starts: +1.3 a race, ≈ 0.8 places better than the grid suggests". */
  text: string;
}

export interface DriverForecast {
  driverId: number;
  constructorId: number;
  /** The predicted finishing order: a ranking 1..n with no ties. */
  predictedPosition: number;
  /** Expected finishing position (mean over simulated orders), 1..n, not necessarily an integer. */
  expectedPosition: number;
  /**
   * Median finishing position of the forecast distribution, 1..n (a half when the two middle
   * samples differ): the point forecast scored by position MAE, since the median minimises |error|.
   */
  medianPosition: number;
  pWin: number;
  pPodium: number;
  /** P(finishing in the points) = P(top 10) under the current points system. */
  pPoints: number;
  pDnf: number;
  /** Race-time gap to the winner in seconds with its 80% interval (10th to 90th percentile). */
  gapSeconds: number;
  gapLowSeconds: number;
  gapHighSeconds: number;
  /** Share of this driver's features that were observed (not imputed), 0..1. */
  featureCoverage: number;
  imputedCount: number;
  /** The biggest reasons (at most 3), from the model itself; absent for forecasters without a model (baselines). */
  reasons?: ForecastReason[];
}

export interface RaceForecast {
  raceId: number;
  /** The instant the features were computed as of; nothing after it was read. */
  asOf: Date;
  modelVersion: string;
  drivers: DriverForecast[];
  /**
   * Pairwise P(i finishes ahead of j), in `drivers` order: headToHead[i][j] is the share of sampled
   * orders where drivers[i] finished ahead of drivers[j] (a classified finisher is ahead of a
   * retirement), so headToHead[i][j] + headToHead[j][i] = 1; the diagonal is 0. Absent when the
   * forecaster does not sample orders.
   */
  headToHead?: number[][];
}

/** How a forecast may be asked to differ from the freeze's: a what-if's changed grid (never frozen). */
export interface ForecastOptions {
  /** Applied to the race's qualifying classification (the grid proxy) before anything reads it. */
  gridChanges?: readonly GridChange[];
}

/** Anything that can forecast a race as of an instant: the trained model, or a baseline. */
export interface Forecaster {
  readonly version: string;
  forecast(raceId: number, asOf: Date, options?: ForecastOptions): Promise<RaceForecast>;
}

/**
 * The model version a freeze uses: the latest one that may forecast a race frozen at `asOf`
 * (trained on seasons before it, and having learnt no race that started at or after it);
 * without `asOf`, the latest. `invalidate` drops a cached version list (after an update).
 */
export type CurrentForecaster = ((asOf?: Date) => Promise<Forecaster>) & {
  invalidate?: () => void;
  /** A registered version by name, if it can still be loaded (a what-if re-asks the model of a frozen snapshot). */
  byVersion?: (version: string) => Promise<Forecaster | undefined>;
};
