/**
 * Forecast metrics, pure functions over plain arrays so any scorer (the backtest, the
 * post-race evaluation) computes them the same way. Probabilities are clipped to
 * [eps, 1-eps] wherever a logarithm is taken.
 */

const EPS = 1e-6;
const clip = (p: number) => Math.min(1 - EPS, Math.max(EPS, p));

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** The median (the mean of the middle two of an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Sample standard deviation (n − 1); NaN under 2 values. */
export function standardDeviation(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Least-squares slope of ys on xs (NaN under 3 points, or when every x is the same). */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  assertSameLength(xs, ys);
  const n = xs.length;
  if (n < 3) return NaN;
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

/** Mean absolute error between paired arrays. */
export function mae(predicted: readonly number[], actual: readonly number[]): number {
  assertSameLength(predicted, actual);
  return mean(predicted.map((p, i) => Math.abs(p - actual[i]!)));
}

/** Average ranks (1-based), ties sharing the mean of the ranks they span. */
export function ranks(xs: readonly number[]): number[] {
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]!] === xs[idx[i]!]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[idx[k]!] = r;
    i = j + 1;
  }
  return out;
}

export function pearson(a: readonly number[], b: readonly number[]): number {
  assertSameLength(a, b);
  const ma = mean(a);
  const mb = mean(b);
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    num += x * y;
    da += x * x;
    db += y * y;
  }
  return da === 0 || db === 0 ? NaN : num / Math.sqrt(da * db);
}

/** Spearman rank correlation (Pearson on average ranks, so ties are handled). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  return pearson(ranks(a), ranks(b));
}

/** Mean squared error of probabilities against 0/1 outcomes. */
export function brier(p: readonly number[], y: readonly (number | boolean)[]): number {
  assertSameLength(p, y);
  return mean(p.map((pi, i) => (pi - Number(y[i])) ** 2));
}

/** Mean binary log loss (nats). */
export function logLoss(p: readonly number[], y: readonly (number | boolean)[]): number {
  assertSameLength(p, y);
  return mean(p.map((pi, i) => (Number(y[i]) ? -Math.log(clip(pi)) : -Math.log(1 - clip(pi)))));
}

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

/** Equal-width reliability bins over [0, 1]; empty bins are omitted. */
export function reliabilityBins(p: readonly number[], y: readonly (number | boolean)[], bins = 10): ReliabilityBin[] {
  assertSameLength(p, y);
  const sums = Array.from({ length: bins }, () => ({ n: 0, p: 0, y: 0 }));
  p.forEach((pi, i) => {
    const b = Math.min(bins - 1, Math.max(0, Math.floor(pi * bins)));
    sums[b]!.n++;
    sums[b]!.p += pi;
    sums[b]!.y += Number(y[i]);
  });
  return sums.flatMap((s, b) =>
    s.n === 0 ? [] : [{ lower: b / bins, upper: (b + 1) / bins, count: s.n, meanPredicted: s.p / s.n, observedRate: s.y / s.n }],
  );
}

/** Expected calibration error: bin-count-weighted |mean predicted − observed rate|. */
export function ece(p: readonly number[], y: readonly (number | boolean)[], bins = 10): number {
  if (p.length === 0) return NaN;
  return reliabilityBins(p, y, bins).reduce((s, b) => s + (b.count / p.length) * Math.abs(b.meanPredicted - b.observedRate), 0);
}

/** −log P(actual winner) for one race; the probabilities are those of the whole field. */
export function winnerNll(pWin: readonly number[], winnerIndex: number): number {
  const p = pWin[winnerIndex];
  if (p === undefined) throw new RangeError(`winner index ${winnerIndex} out of range`);
  return -Math.log(clip(p));
}

/** Share of actual values inside [low, high] (inclusive). */
export function intervalCoverage(low: readonly number[], high: readonly number[], actual: readonly number[]): number {
  assertSameLength(low, actual);
  assertSameLength(high, actual);
  return mean(actual.map((a, i) => (a >= low[i]! && a <= high[i]! ? 1 : 0)));
}

/** |predicted top k ∩ actual top k| / k, given the ids in predicted and actual order. */
export function topKOverlap(predictedOrder: readonly number[], actualOrder: readonly number[], k: number): number {
  const kk = Math.min(k, predictedOrder.length, actualOrder.length);
  if (kk === 0) return NaN;
  const actual = new Set(actualOrder.slice(0, kk));
  return predictedOrder.slice(0, kk).filter((id) => actual.has(id)).length / kk;
}

function assertSameLength(a: readonly unknown[], b: readonly unknown[]): void {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
}
