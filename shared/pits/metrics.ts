/**
 * Pit-stop metrics, on the natural base rate (every lap of every car, no resampling). Brier
 * and the mean are the forecast metrics' own (evaluation/metrics.ts).
 */

/** Area under the precision–recall curve as average precision (ties handled as one step). */
export function prAuc(scores: number[], labels: number[]): number {
  const positives = labels.reduce((a, b) => a + b, 0);
  if (positives === 0) return NaN;
  const order = scores.map((s, i) => [s, labels[i]!] as const).sort((a, b) => b[0] - a[0]);
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < order.length; i++) {
    if (order[i]![1]) tp++;
    else fp++;
    // Close a step only where the score changes: tied scores are one threshold.
    if (i === order.length - 1 || order[i + 1]![0] !== order[i]![0]) {
      const recall = tp / positives;
      ap += (recall - prevRecall) * (tp / (tp + fp));
      prevRecall = recall;
    }
  }
  return ap;
}

export interface ThresholdMetrics {
  precision: number;
  recall: number;
  f1: number;
}

export function atThreshold(scores: number[], labels: number[], threshold: number): ThresholdMetrics {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  scores.forEach((s, i) => {
    const y = labels[i]!;
    if (s >= threshold) {
      if (y) tp++;
      else fp++;
    } else if (y) fn++;
  });
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** The threshold that maximises F1 (chosen on a validation season, then frozen). */
export function bestF1Threshold(scores: number[], labels: number[]): number {
  const candidates = [...new Set(scores.map((s) => Math.round(s * 1000) / 1000))].sort((a, b) => a - b);
  let best = 0.5;
  let bestF1 = -1;
  for (const t of candidates) {
    const { f1 } = atThreshold(scores, labels, t);
    if (f1 > bestF1) {
      bestF1 = f1;
      best = t;
    }
  }
  return best;
}

/**
 * Share of real stops that had an alarm (score ≥ threshold) for a stop lap within ±1
 * lap: the forecast for lap t names lap t+1, so a stop on lap s is hit when an alarm was
 * raised for s−1, s or s+1.
 */
export function hitRateWithinOne(
  rows: { raceId: number; driverId: number; lap: number }[],
  scores: number[],
  stops: { raceId: number; driverId: number; lap: number }[],
  threshold: number,
): number {
  const alarms = new Set<string>();
  rows.forEach((r, i) => {
    if (scores[i]! >= threshold) alarms.add(`${r.raceId}/${r.driverId}/${r.lap + 1}`);
  });
  if (stops.length === 0) return NaN;
  const hits = stops.filter((s) => [-1, 0, 1].some((d) => alarms.has(`${s.raceId}/${s.driverId}/${s.lap + d}`)));
  return hits.length / stops.length;
}
