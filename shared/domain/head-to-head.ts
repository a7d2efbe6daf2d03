import type { RaceForecast } from './forecast.js';
import type { HeadToHead } from './prediction.js';

/** A forecast's head-to-head matrix as a snapshot stores it: by driver id, 3 decimals (each pair still sums to 1). */
export function snapshotHeadToHead(f: Pick<RaceForecast, 'drivers' | 'headToHead'>): HeadToHead | null {
  const m = f.headToHead;
  if (!m || m.length !== f.drivers.length) return null;
  // Round one side of each pair and give the other its complement, so P(a>b) + P(b>a) = 1 survives rounding.
  const p = m.map((row) => row.map(() => 0));
  for (let i = 0; i < m.length; i++) {
    for (let j = i + 1; j < m.length; j++) {
      const total = m[i]![j]! + m[j]![i]!;
      const x = total > 0 ? Math.round((m[i]![j]! / total) * 1000) / 1000 : 0.5;
      p[i]![j] = x;
      p[j]![i] = Math.round((1 - x) * 1000) / 1000;
    }
  }
  return { driverIds: f.drivers.map((d) => d.driverId), p };
}

/** P(driver a finishes ahead of driver b); undefined when either is not in the snapshot. */
export function pAhead(h: HeadToHead, a: number, b: number): number | undefined {
  const i = h.driverIds.indexOf(a);
  const j = h.driverIds.indexOf(b);
  return i < 0 || j < 0 ? undefined : h.p[i]![j];
}

/**
 * Each team's pair of drivers with P(the first finishes ahead of the second), the first being
 * the one listed first (the better predicted); teams with one entrant (or three) are left out.
 */
export function teammatePairs(h: HeadToHead, entries: readonly { driverId: number; constructorId: number }[]): { constructorId: number; a: number; b: number; pAhead: number }[] {
  const byTeam = new Map<number, number[]>();
  for (const e of entries) byTeam.set(e.constructorId, [...(byTeam.get(e.constructorId) ?? []), e.driverId]);
  return [...byTeam].flatMap(([constructorId, ids]) => {
    if (ids.length !== 2) return [];
    const p = pAhead(h, ids[0]!, ids[1]!);
    return p === undefined ? [] : [{ constructorId, a: ids[0]!, b: ids[1]!, pAhead: p }];
  });
}
