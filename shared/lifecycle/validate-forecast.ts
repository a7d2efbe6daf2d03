import type { RaceForecast } from '../domain/forecast.js';
import { PitwallError } from '../errors.js';
import type { PredictionEntry } from '../domain/prediction.js';

export const MIN_FEATURE_COVERAGE = 0.85;
export const MAX_PLAUSIBLE_GAP_SECONDS = 120;

/** The model produced something that must not be frozen (a server-side fault, 500). */
export class InvalidForecastError extends PitwallError {
  // The model's output failed validation: a server-side fault, but say which one.
  override readonly exposeMessage = true;
  constructor(problems: string[]) {
    super(`forecast rejected: ${problems.join('; ')}`, 'invalid_forecast', { problems });
  }
}

export interface ValidatedForecast {
  entries: PredictionEntry[];
  warnings: string[];
  featureCoverage: number;
  imputedCount: number;
}

/**
 * Checks a forecast before it is frozen. Hard errors (refuse): positions not exactly
 * 1..n, a median position outside 1..n, negative or non-monotonic gaps in predicted order, an entered driver missing or
 * an unknown one present. Warnings (freeze anyway, say so): mean feature coverage under
 * 85%, gaps over 120 s (those entries are flagged).
 */
export function validateForecast(forecast: RaceForecast, entrants: readonly number[]): ValidatedForecast {
  const problems: string[] = [];
  const warnings: string[] = [];
  const drivers = [...forecast.drivers].sort((a, b) => a.predictedPosition - b.predictedPosition);
  const n = drivers.length;

  const positions = new Set(drivers.map((d) => d.predictedPosition));
  if (positions.size !== n || drivers.some((d, i) => d.predictedPosition !== i + 1)) {
    problems.push(`predicted positions must be 1..${n}, each once`);
  }
  const ids = new Set(drivers.map((d) => d.driverId));
  if (ids.size !== n) problems.push('a driver appears more than once');
  const missing = entrants.filter((id) => !ids.has(id));
  if (missing.length) problems.push(`entered drivers missing: ${missing.join(', ')}`);
  const entered = new Set(entrants);
  const unknown = drivers.filter((d) => !entered.has(d.driverId)).map((d) => d.driverId);
  if (unknown.length) problems.push(`drivers not on the entry list: ${unknown.join(', ')}`);

  for (let i = 0; i < n; i++) {
    const d = drivers[i]!;
    if (!(d.gapSeconds >= 0) || !(d.gapLowSeconds >= 0) || !(d.gapHighSeconds >= d.gapLowSeconds)) {
      problems.push(`driver ${d.driverId}: gap must be non-negative with low ≤ high`);
    }
    if (i > 0 && d.gapSeconds < drivers[i - 1]!.gapSeconds) {
      problems.push(`gaps are not monotonic at P${d.predictedPosition}`);
    }
    if (!(d.medianPosition >= 1 && d.medianPosition <= n)) problems.push(`driver ${d.driverId}: median position ${d.medianPosition} outside 1..${n}`);
    for (const [name, p] of [['pWin', d.pWin], ['pPodium', d.pPodium], ['pPoints', d.pPoints], ['pDnf', d.pDnf]] as const) {
      if (!(p >= 0 && p <= 1)) problems.push(`driver ${d.driverId}: ${name} ${p} outside [0, 1]`);
    }
  }
  if (problems.length) throw new InvalidForecastError(problems);

  const featureCoverage = n ? drivers.reduce((s, d) => s + d.featureCoverage, 0) / n : 0;
  const imputedCount = drivers.reduce((s, d) => s + d.imputedCount, 0);
  if (featureCoverage < MIN_FEATURE_COVERAGE) {
    warnings.push(`feature coverage ${(featureCoverage * 100).toFixed(1)}% is under ${MIN_FEATURE_COVERAGE * 100}%`);
  }
  const entries = drivers.map((d): PredictionEntry => {
    const gapFlagged = d.gapSeconds > MAX_PLAUSIBLE_GAP_SECONDS;
    if (gapFlagged) warnings.push(`driver ${d.driverId}: gap ${d.gapSeconds.toFixed(1)} s exceeds ${MAX_PLAUSIBLE_GAP_SECONDS} s`);
    return {
      driverId: d.driverId,
      constructorId: d.constructorId,
      predictedPosition: d.predictedPosition,
      expectedPosition: d.expectedPosition,
      medianPosition: d.medianPosition,
      gapSeconds: d.gapSeconds,
      gapLowSeconds: d.gapLowSeconds,
      gapHighSeconds: d.gapHighSeconds,
      gapFlagged,
      pWin: d.pWin,
      pPodium: d.pPodium,
      pPoints: d.pPoints,
      pDnf: d.pDnf,
      featureCoverage: d.featureCoverage,
      imputedCount: d.imputedCount,
      strategy: null,
      reasons: d.reasons ?? null,
    };
  });
  return { entries, warnings, featureCoverage, imputedCount };
}

/** 1 − normalised entropy of the win distribution: 1 = certain winner, 0 = uniform. */
export function forecastConfidence(pWin: readonly number[]): number {
  const total = pWin.reduce((s, p) => s + p, 0);
  if (pWin.length < 2 || total <= 0) return 0;
  const h = pWin.reduce((s, p) => (p > 0 ? s - (p / total) * Math.log(p / total) : s), 0);
  return Math.min(1, Math.max(0, 1 - h / Math.log(pWin.length)));
}
