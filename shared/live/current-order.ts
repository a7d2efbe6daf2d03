import type { LiveFinishOdds, LiveRaceState } from './types.js';

/**
 * Baseline "the current order holds": P(final place | place in the running order now, share
 * of the race run), counted on training races with add-α smoothing. A retirement is a final
 * place past the field. Per race the rows are normalised across the running cars so P(win)
 * sums to 1, P(podium) to 3 and P(points) to 10, like the forecasts it is scored beside.
 */
export interface CurrentOrderTable {
  buckets: number;
  /** The largest running position kept apart; later ones share its row. */
  maxPosition: number;
  /** P(final place = f) for f = 1..maxPosition, then P(past them: a lower place or a retirement), per [bucket][position-1]. */
  rows: number[][][];
}

export interface OrderObservation {
  /** Share of the race distance completed, 0..1. */
  fraction: number;
  /** Place in the running order (1 = the leader). */
  position: number;
  /** Final classified place, null for a retirement. */
  finish: number | null;
}

export const CURRENT_ORDER_BUCKETS = 10;
const MAX_POSITION = 20;

export const bucketOf = (fraction: number, buckets = CURRENT_ORDER_BUCKETS) => Math.min(buckets - 1, Math.max(0, Math.floor(fraction * buckets)));

export function fitCurrentOrder(observations: readonly OrderObservation[], o: { alpha?: number; buckets?: number } = {}): CurrentOrderTable {
  const alpha = o.alpha ?? 0.5;
  const buckets = o.buckets ?? CURRENT_ORDER_BUCKETS;
  const width = MAX_POSITION + 1;
  const counts = Array.from({ length: buckets }, () => Array.from({ length: MAX_POSITION }, () => new Array<number>(width).fill(0)));
  for (const ob of observations) {
    const row = counts[bucketOf(ob.fraction, buckets)]![Math.min(MAX_POSITION, Math.max(1, ob.position)) - 1]!;
    row[ob.finish === null || ob.finish > MAX_POSITION ? MAX_POSITION : ob.finish - 1]! += 1;
  }
  const rows = counts.map((byPosition) =>
    byPosition.map((row) => {
      const total = row.reduce((s, x) => s + x, 0) + alpha * width;
      return row.map((x) => (x + alpha) / total);
    }),
  );
  return { buckets, maxPosition: MAX_POSITION, rows };
}

/** Scales shares to sum to k with none above 1 (the excess of a capped one goes to the others). */
export function normaliseTo(ps: readonly number[], k: number): number[] {
  const out = new Array<number>(ps.length).fill(0);
  const free = new Set(ps.map((_, i) => i));
  let target = Math.min(k, ps.length);
  for (let round = 0; round < ps.length && free.size > 0; round++) {
    const sum = [...free].reduce((s, i) => s + ps[i]!, 0);
    if (sum <= 0) {
      for (const i of free) out[i] = target / free.size;
      break;
    }
    let capped = false;
    for (const i of free) {
      out[i] = (ps[i]! * target) / sum;
      if (out[i]! >= 1) capped = true;
    }
    if (!capped) break;
    for (const i of [...free]) {
      if (out[i]! >= 1) {
        out[i] = 1;
        free.delete(i);
        target -= 1;
      }
    }
  }
  return out;
}

export function currentOrderOdds(table: CurrentOrderTable, state: LiveRaceState): LiveFinishOdds[] {
  const fraction = state.totalLaps > 0 ? state.lap / state.totalLaps : 0;
  const bucket = table.rows[bucketOf(fraction, table.buckets)]!;
  const running = state.cars.filter((c) => !c.retired);
  const rowOf = (position: number) => bucket[Math.min(table.maxPosition, Math.max(1, position)) - 1]!;
  const upTo = (row: number[], k: number) => row.slice(0, k).reduce((s, x) => s + x, 0);
  const raw = running.map((c, i) => rowOf(i + 1));
  const win = normaliseTo(raw.map((r) => upTo(r, 1)), 1);
  const podium = normaliseTo(raw.map((r) => upTo(r, 3)), 3);
  const points = normaliseTo(raw.map((r) => upTo(r, 10)), 10);
  const odds = new Map<number, LiveFinishOdds>();
  running.forEach((c, i) => {
    const row = raw[i]!;
    // A place past the field counts as the last place.
    const expected = row.reduce((s, p, f) => s + p * Math.min(f + 1, state.cars.length), 0);
    odds.set(c.driverId, { driverId: c.driverId, win: win[i]!, podium: podium[i]!, points: points[i]!, expectedPosition: expected });
  });
  for (const c of state.cars) if (c.retired) odds.set(c.driverId, { driverId: c.driverId, win: 0, podium: 0, points: 0, expectedPosition: state.cars.length });
  return state.cars.map((c) => odds.get(c.driverId)!);
}
