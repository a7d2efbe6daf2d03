/**
 * Percentile bootstrap over independent units (races): resample units with replacement,
 * recompute the statistic, take the 2.5th and 97.5th percentiles. A seeded generator keeps
 * reports reproducible.
 */

export interface Estimate {
  value: number;
  ciLow: number;
  ciHigh: number;
}

/** Mulberry32: a small, fast, seedable PRNG with uniform output in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * `statistic` receives a resample of the units (the original order for the point value).
 * Units are typically per-race records, so a pooled metric (e.g. Brier over all drivers)
 * is resampled race by race.
 */
export function bootstrapCi<T>(
  units: readonly T[],
  statistic: (sample: readonly T[]) => number,
  { resamples = 1000, seed = 1, level = 0.95 }: { resamples?: number; seed?: number; level?: number } = {},
): Estimate {
  const value = statistic(units);
  if (units.length === 0) return { value, ciLow: NaN, ciHigh: NaN };
  const rand = seededRandom(seed);
  const stats: number[] = [];
  const sample = new Array<T>(units.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < units.length; i++) sample[i] = units[Math.floor(rand() * units.length)]!;
    const s = statistic(sample);
    if (Number.isFinite(s)) stats.push(s);
  }
  stats.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  return { value, ciLow: quantile(stats, alpha), ciHigh: quantile(stats, 1 - alpha) };
}
