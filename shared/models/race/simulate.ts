import { seededRandom } from '../../evaluation/bootstrap.js';
import type { GapTable } from './gap-table.js';

/**
 * The Plackett–Luce layer: finishing orders sampled from per-driver strengths with the
 * Gumbel-max trick (sorting s_i + Gumbel noise draws a Plackett–Luce order), after each
 * driver independently retires with P(DNF). Finishers come first in strength order, then
 * retirements, as in an official classification. Every probability is a share of the same
 * sampled orders, so over the field P(win) sums to 1, P(podium) to 3 and P(top 10) to 10.
 */

export interface SimulationInput {
  strengths: readonly number[];
  pDnf: readonly number[];
  gapTable: GapTable;
  samples: number;
  seed: number;
  /** Quantile levels of the gap interval; (0.1, 0.9) is the nominal 80% interval. */
  gapInterval?: readonly [number, number];
  /**
   * Probability that a finisher's race goes wrong (damage, a penalty, a bad strategy call)
   * without retiring: in that sample it runs at the field's weakest strength. Still one set
   * of sampled orders, so the probabilities stay coherent; 0 = plain Plackett–Luce.
   */
  badRace?: number;
  /** Also return each driver's sorted gap samples (used to calibrate the interval). */
  keepGapSamples?: boolean;
}

/** The simulated field: per-driver outputs, and (when asked) who finished ahead of whom. */
export interface SimulatedField {
  drivers: SimulatedDriver[];
  /**
   * headToHead[i][j]: the share of sampled orders in which driver i finished ahead of driver j
   * (input order; a classified finisher is ahead of a retirement). The same samples as every
   * other probability, so headToHead[i][j] + headToHead[j][i] = 1; the diagonal is 0.
   */
  headToHead: number[][] | null;
}

export interface SimulatedDriver {
  predictedPosition: number;
  expectedPosition: number;
  /** Median of the simulated finishing positions: the point forecast that minimises expected |error|. */
  medianPosition: number;
  pWin: number;
  pPodium: number;
  pTop10: number;
  pDnf: number;
  gapSeconds: number;
  gapLowSeconds: number;
  gapHighSeconds: number;
  gapSamples?: number[];
}

export function simulateRace(input: SimulationInput): SimulatedDriver[] {
  return simulateField(input).drivers;
}

/**
 * One sampled finishing order into `order` (indices, best first), by the Gumbel-max trick: each
 * driver retires with pDnf[i] (pushed behind every finisher), and a finisher's race goes wrong
 * with `badRace` (it runs at `weakest`). Returns the number of finishers. Per driver the draws
 * come in this order (retirement, bad race when enabled, noise): every seeded caller's samples
 * rely on it, and badRace = 0 reproduces the plain model's samples exactly.
 */
export function drawOrder(strengths: ArrayLike<number>, pDnf: ArrayLike<number>, weakest: number, badRace: number, rand: () => number, keys: Float64Array, order: number[]): number {
  const n = strengths.length;
  order.length = n;
  let finishers = 0;
  for (let i = 0; i < n; i++) {
    const out = rand() < pDnf[i]!;
    const strength = badRace > 0 && rand() < badRace ? weakest : strengths[i]!;
    // Gumbel(0,1) = -log(-log U).
    keys[i] = strength - Math.log(-Math.log(rand() || Number.MIN_VALUE)) - (out ? 1e6 : 0);
    if (!out) finishers++;
    order[i] = i;
  }
  order.sort((a, b) => keys[b]! - keys[a]!);
  return finishers;
}

/** simulateRace, with the pairwise head-to-head shares of the same sampled orders when `headToHead` is set. */
export function simulateField({ strengths, pDnf, gapTable, samples, seed, gapInterval = [0.1, 0.9], badRace = 0, keepGapSamples = false, headToHead = false }: SimulationInput & { headToHead?: boolean }): SimulatedField {
  const n = strengths.length;
  // ahead[i * n + j]: samples in which driver i finished ahead of driver j.
  const ahead = headToHead ? new Uint32Array(n * n) : null;
  const weakest = Math.min(...strengths);
  const rand = seededRandom(seed);
  const win = new Float64Array(n);
  const podium = new Float64Array(n);
  const top10 = new Float64Array(n);
  const posSum = new Float64Array(n);
  // counts[i * n + p]: samples in which driver i finished at position p + 1.
  const counts = new Uint32Array(n * n);
  const gapSamples: number[][] = Array.from({ length: n }, () => []);
  const keys = new Float64Array(n);
  const order = Array.from({ length: n }, (_, i) => i);

  for (let s = 0; s < samples; s++) {
    drawOrder(strengths, pDnf, weakest, badRace, rand, keys, order);
    if (ahead) {
      for (let p = 0; p < n; p++) {
        const row = order[p]! * n;
        for (let q = p + 1; q < n; q++) ahead[row + order[q]!]!++;
      }
    }
    for (let p = 0; p < n; p++) {
      const i = order[p]!;
      posSum[i]! += p + 1;
      counts[i * n + p]!++;
      if (p === 0) win[i]!++;
      if (p < 3) podium[i]!++;
      if (p < 10) top10[i]!++;
      if (keys[i]! > -1e5) {
        const slot = gapTable.gaps[p];
        if (slot && slot.length) {
          const g = slot[Math.floor(rand() * slot.length)];
          if (g !== null && g !== undefined) gapSamples[i]!.push(g);
        }
      }
    }
  }

  const expected = Array.from(posSum, (v) => v / samples);
  const ranking = expected.map((_, i) => i).sort((a, b) => expected[a]! - expected[b]! || strengths[b]! - strengths[a]! || a - b);
  const predicted = new Array<number>(n);
  ranking.forEach((i, k) => (predicted[i] = k + 1));

  const drivers = expected.map((e, i) => {
    let g = gapSamples[i]!.sort((a, b) => a - b);
    // Almost never on the lead lap: fall back to the timed finishers of its expected slot.
    if (g.length < 20) g = fallbackGaps(gapTable, Math.round(e));
    const q = (x: number) => (g.length ? g[Math.min(g.length - 1, Math.floor(x * g.length))]! : NaN);
    return {
      predictedPosition: predicted[i]!,
      expectedPosition: e,
      medianPosition: medianFromCounts(counts.subarray(i * n, (i + 1) * n), samples),
      pWin: win[i]! / samples,
      pPodium: podium[i]! / samples,
      pTop10: top10[i]! / samples,
      pDnf: pDnf[i]!,
      gapSeconds: q(0.5),
      gapLowSeconds: q(gapInterval[0]),
      gapHighSeconds: q(gapInterval[1]),
      ...(keepGapSamples ? { gapSamples: g } : {}),
    };
  });
  return {
    drivers: monotoneGaps(drivers, ranking),
    headToHead: ahead ? Array.from({ length: n }, (_, i) => Array.from({ length: n }, (__, j) => ahead[i * n + j]! / samples)) : null,
  };
}

/**
 * Each driver's gap quantiles are conditional on finishing on the lead lap, so a car
 * that is often lapped can show a smaller median than a faster one. Monotone
 * rearrangement: the k-th smallest median (and low, and high) goes to predicted
 * position k. Sorting each quantile separately keeps low ≤ gap ≤ high for every driver.
 */
function monotoneGaps(drivers: SimulatedDriver[], ranking: readonly number[]): SimulatedDriver[] {
  const sorted = (key: 'gapSeconds' | 'gapLowSeconds' | 'gapHighSeconds') => drivers.map((d) => d[key]).sort((a, b) => a - b);
  const [mid, low, high] = [sorted('gapSeconds'), sorted('gapLowSeconds'), sorted('gapHighSeconds')];
  const out = [...drivers];
  ranking.forEach((i, k) => {
    out[i] = { ...drivers[i]!, gapSeconds: mid[k]!, gapLowSeconds: low[k]!, gapHighSeconds: high[k]! };
  });
  return out;
}

/**
 * The sample median of positions 1..n given how often each occurred: the middle value for
 * an odd count, the mean of the two middle values for an even one (as a sorted list would give).
 */
export function medianFromCounts(counts: ArrayLike<number>, total: number): number {
  if (total <= 0) return NaN;
  const at = (k: number) => {
    // Position of the k-th smallest sample (1-based k).
    let cum = 0;
    for (let p = 0; p < counts.length; p++) {
      cum += counts[p]!;
      if (cum >= k) return p + 1;
    }
    return counts.length;
  };
  return total % 2 ? at((total + 1) / 2) : (at(total / 2) + at(total / 2 + 1)) / 2;
}

function fallbackGaps(table: GapTable, position: number): number[] {
  for (let p = Math.min(position, table.gaps.length); p >= 1; p--) {
    const g = (table.gaps[p - 1] ?? []).filter((x): x is number => x !== null);
    if (g.length) return g.sort((a, b) => a - b);
  }
  return [0];
}
