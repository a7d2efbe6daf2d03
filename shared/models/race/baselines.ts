import type { DriverForecast } from '../../domain/forecast.js';
import { raceOutcome } from '../../domain/race-outcome.js';
import type { HistoryResult, HistoryQualifying } from '../../domain/history.js';
import { mean } from '../../evaluation/metrics.js';
import { featureNames, type RaceFeatures } from '../../features/race-features.js';
import type { GapTable } from './gap-table.js';

/**
 * The baselines every forecast is compared with. All three start from the grid as known at
 * the post-qualifying freeze, i.e. the qualifying position (grid penalties are not known yet):
 * - grid order: finishing order = qualifying order;
 * - slot median: order by the median past finish from that grid slot;
 * - slot lookup: P(win / podium / top 10 / DNF) = past frequency from that grid slot.
 * Each also states a median position, the point forecast position MAE scores: the grid slot
 * for grid order, the slot's median past finish for the other two (the median of the slot's
 * finishing distribution, which is also what the lookup's probabilities are read from).
 */
export type BaselineKind = 'gridOrder' | 'slotMedian' | 'slotLookup';
export const baselineKinds: BaselineKind[] = ['gridOrder', 'slotMedian', 'slotLookup'];

interface Slot {
  n: number;
  win: number;
  podium: number;
  top10: number;
  dnf: number;
  finishes: number[];
}

export interface SlotTable {
  slots: Slot[];
}

/** Frequencies by qualifying slot over past races (their qualifying joined with their results). */
export function fitSlotTable(races: Iterable<{ qualifying: readonly HistoryQualifying[]; results: readonly HistoryResult[] }>): SlotTable {
  return fitSlotTableBy([...races].map(({ qualifying, results }) => ({ slots: new Map(qualifying.map((x) => [x.driverId, x.position])), results })));
}

/**
 * Frequencies by slot over past races, for any slot of a driver known before the race (the
 * qualifying position; the championship rank or the previous race's finish for the pre-weekend
 * baselines). A starter without a slot counts at the back of the field.
 */
export function fitSlotTableBy(races: Iterable<{ slots: ReadonlyMap<number, number>; results: readonly HistoryResult[] }>): SlotTable {
  const slots: Slot[] = [];
  for (const { slots: q, results } of races) {
    if (q.size === 0) continue;
    for (const o of raceOutcome(results)) {
      const slot = q.get(o.driverId) ?? results.length;
      const s = (slots[slot - 1] ??= { n: 0, win: 0, podium: 0, top10: 0, dnf: 0, finishes: [] });
      s.n++;
      if (o.win) s.win++;
      if (o.podium) s.podium++;
      if (o.top10) s.top10++;
      if (o.dnf) s.dnf++;
      s.finishes.push(o.finish);
    }
  }
  return { slots };
}

const median = (xs: number[]) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Scales probabilities to sum to `total` without any exceeding 1 (water-filling). */
export function scaleToSum(ps: readonly number[], total: number): number[] {
  const target = Math.min(total, ps.length);
  let out = ps.map((p) => Math.max(p, 1e-6));
  for (let it = 0; it < 50; it++) {
    const fixed = out.filter((p) => p >= 1).length;
    const free = out.reduce((s, p) => s + (p < 1 ? p : 0), 0);
    if (free <= 0) break;
    const k = (target - fixed) / free;
    const next = out.map((p) => (p >= 1 ? 1 : Math.min(1, p * k)));
    if (next.every((p, i) => Math.abs(p - out[i]!) < 1e-12)) break;
    out = next;
  }
  return out;
}

const qualiIndex = featureNames.indexOf('qualiPosition');

/** Each entrant's grid slot at the freeze: its qualifying position, the back of the field when unknown. */
export const gridSlots = (features: RaceFeatures): number[] => features.drivers.map((d) => (d.values[qualiIndex] as number | null) ?? features.drivers.length);

const emptySlot: Slot = { n: 0, win: 0, podium: 0, top10: 0, dnf: 0, finishes: [] };
const slotStat = (table: SlotTable, slot: number) => table.slots[Math.min(slot, table.slots.length) - 1] ?? emptySlot;

/** The lookup's smoothed past frequency of an outcome from a grid slot. */
export function slotRate(table: SlotTable, slot: number, k: 'win' | 'podium' | 'top10' | 'dnf'): number {
  const s = slotStat(table, slot);
  return s.n ? (s[k] + 0.1) / (s.n + 1) : 0.01;
}

/** A slot baseline's forecast; `slotOf` is each entrant's slot (features order), the grid slot unless given. */
export function baselinePrediction(kind: BaselineKind, features: RaceFeatures, table: SlotTable, gapTable: GapTable, slotOf: readonly number[] = gridSlots(features)): DriverForecast[] {
  const n = features.drivers.length;
  const stat = (i: number) => slotStat(table, slotOf[i]!);
  const rate = (i: number, k: 'win' | 'podium' | 'top10' | 'dnf') => slotRate(table, slotOf[i]!, k);
  // Both slot baselines read the slot's past finishes; grid order is its own slot.
  const medianOf = (i: number) => (kind === 'gridOrder' ? slotOf[i]! : median(stat(i).finishes) || slotOf[i]!);
  const meanOf = (i: number) => (kind === 'gridOrder' ? slotOf[i]! : mean(stat(i).finishes) || slotOf[i]!);
  const score = features.drivers.map((_, i) => (kind === 'slotLookup' ? meanOf(i) : medianOf(i)));
  const order = score.map((_, i) => i).sort((a, b) => score[a]! - score[b]! || slotOf[a]! - slotOf[b]! || a - b);
  const predicted = new Array<number>(n);
  order.forEach((i, k) => (predicted[i] = k + 1));
  const pWin = scaleToSum(features.drivers.map((_, i) => rate(i, 'win')), 1);
  const pPodium = scaleToSum(features.drivers.map((_, i) => rate(i, 'podium')), 3);
  const pTop10 = scaleToSum(features.drivers.map((_, i) => rate(i, 'top10')), 10);
  return features.drivers.map((d, i) => {
    const gaps = timedGaps(gapTable, predicted[i]!);
    const imputed = d.values.filter((v) => v === null).length;
    return {
      driverId: d.driverId,
      constructorId: d.constructorId,
      predictedPosition: predicted[i]!,
      expectedPosition: meanOf(i),
      medianPosition: medianOf(i),
      pWin: pWin[i]!,
      pPodium: pPodium[i]!,
      pPoints: pTop10[i]!,
      pDnf: rate(i, 'dnf'),
      gapSeconds: q(gaps, 0.5),
      gapLowSeconds: q(gaps, 0.1),
      gapHighSeconds: q(gaps, 0.9),
      featureCoverage: 1 - imputed / d.values.length,
      imputedCount: imputed,
    };
  });
}

function timedGaps(t: GapTable, position: number): number[] {
  for (let p = Math.min(position, t.gaps.length); p >= 1; p--) {
    const g = (t.gaps[p - 1] ?? []).filter((x): x is number => x !== null);
    if (g.length) return g.sort((a, b) => a - b);
  }
  return [0];
}

const q = (sorted: number[], x: number) => sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))]!;
