import type { OpenF1Gap, OpenF1Interval, OpenF1Position } from '../../clients/openf1-schemas.js';
import type { LiveTimingRow } from '../../repository/live-timing-store.js';

/** A live timing sample that could not be stored, with why (quarantined with the poll's run). */
export interface RefusedSample {
  raw: unknown;
  reason: string;
}

/** OpenF1's gap: seconds → ms, "+N LAP(S)" → N laps, null → unknown (the leader, or no timing yet). */
export function parseGap(gap: OpenF1Gap): { ms: number | null; laps: number | null } {
  if (gap === null || gap === undefined) return { ms: null, laps: null };
  if (typeof gap === 'number') return { ms: Math.round(gap * 1000), laps: null };
  return { ms: null, laps: Number(/\d+/.exec(gap)![0]) };
}

const INT4_MAX = 2_147_483_647;

/**
 * /position and /intervals samples → live timing rows of the race, cars mapped by number. A
 * car no entrant had, an instant that is not one, or a gap past the column is refused.
 */
export function liveTimingRows(
  raceId: number,
  driverByNumber: ReadonlyMap<number, number>,
  data: { positions: readonly OpenF1Position[]; intervals: readonly OpenF1Interval[] },
): { rows: LiveTimingRow[]; refused: RefusedSample[] } {
  const rows: LiveTimingRow[] = [];
  const refused: RefusedSample[] = [];
  const base = (raw: { date: string; driver_number: number }, what: string): Pick<LiveTimingRow, 'raceId' | 'driverId' | 'at'> | undefined => {
    const driverId = driverByNumber.get(raw.driver_number);
    const at = Date.parse(raw.date);
    if (driverId === undefined) refused.push({ raw, reason: `openf1 ${what}: no car #${raw.driver_number} among the race's entrants` });
    else if (Number.isNaN(at)) refused.push({ raw, reason: `openf1 ${what}: date "${raw.date}" is not an instant` });
    else return { raceId, driverId, at: new Date(at).toISOString() };
    return undefined;
  };
  const empty = { position: null, gapToLeaderMs: null, lapsDown: null, intervalMs: null, intervalLaps: null };
  for (const p of data.positions) {
    const key = base(p, 'position');
    if (key) rows.push({ ...key, ...empty, position: p.position });
  }
  for (const i of data.intervals) {
    const key = base(i, 'intervals');
    if (!key) continue;
    const gap = parseGap(i.gap_to_leader);
    const interval = parseGap(i.interval);
    if ([gap.ms, interval.ms].some((ms) => ms !== null && ms > INT4_MAX)) {
      refused.push({ raw: i, reason: 'openf1 intervals: a gap beyond 24 days is not one' });
      continue;
    }
    rows.push({ ...key, ...empty, gapToLeaderMs: gap.ms, lapsDown: gap.laps, intervalMs: interval.ms, intervalLaps: interval.laps });
  }
  return { rows, refused };
}
