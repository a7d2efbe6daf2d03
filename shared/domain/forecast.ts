/**
 * A pre-race forecast for one race, as the model produces it and the prediction
 * lifecycle freezes it. Probabilities are coherent across the field: over the starters
 * P(win) sums to 1, P(podium) to 3, P(top 10) to 10 (min(n, k) for small fields).
 */

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
}

export interface RaceForecast {
  raceId: number;
  /** The instant the features were computed as of; nothing after it was read. */
  asOf: Date;
  modelVersion: string;
  drivers: DriverForecast[];
}

/** Anything that can forecast a race as of an instant: the trained model, or a baseline. */
export interface Forecaster {
  readonly version: string;
  forecast(raceId: number, asOf: Date): Promise<RaceForecast>;
}

/**
 * The model version a freeze uses: the latest one that may forecast a race frozen at `asOf`
 * (trained on seasons before it, and having learnt no race that started at or after it);
 * without `asOf`, the latest. `invalidate` drops a cached version list (after an update).
 */
export type CurrentForecaster = ((asOf?: Date) => Promise<Forecaster>) & { invalidate?: () => void };
