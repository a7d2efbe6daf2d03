import type { HistoryResult } from '../../domain/history.js';

/**
 * Race-time gaps to the winner by finishing position, learnt from past races. A classified
 * finisher without a race time (lapped) is kept as `null`, so sampling from a slot also
 * samples "lapped" at the rate it happened there.
 */
export interface GapTable {
  /** gaps[p-1]: seconds behind the winner of past finishers at position p (null = lapped). */
  gaps: (number | null)[][];
}

export function fitGapTable(resultsByRace: Iterable<HistoryResult[]>): GapTable {
  const gaps: (number | null)[][] = [];
  for (const rows of resultsByRace) {
    const winner = rows.find((r) => r.position === 1);
    if (!winner?.milliseconds) continue;
    for (const r of rows) {
      if (r.position === null) continue;
      const slot = (gaps[r.position - 1] ??= []);
      slot.push(r.milliseconds ? (r.milliseconds - winner.milliseconds) / 1000 : null);
    }
  }
  return { gaps };
}
