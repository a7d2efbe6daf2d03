/**
 * What happened in a race, in the one definition that training, the backtest, the live
 * evaluation, the read API and the dashboard share. A starter is a result row; its finish is
 * its place in the official classification order (position_order), re-ranked 1..n over the
 * field being scored (a driver the forecast did not cover is not in it); a DNF is a starter
 * the classification does not classify (position null): a car that retired after 90% of the
 * distance is classified and is no DNF, a disqualified car is one.
 */

export interface OutcomeRow {
  driverId: number;
  position: number | null;
  positionOrder: number;
}

export const isDnf = (r: Pick<OutcomeRow, 'position'>): boolean => r.position === null;

export interface DriverOutcome {
  driverId: number;
  /** 1..n over the scored field, in classification order. */
  finish: number;
  win: boolean;
  podium: boolean;
  /** Top 10: the points under the current system. */
  top10: boolean;
  dnf: boolean;
}

/**
 * The outcome of each starter in `rows` that `inField` admits (default: all), in the order of
 * `rows`. Finishing places are re-ranked over that field, so a podium is a top-3 place among
 * the drivers that were forecast.
 */
export function raceOutcome(rows: readonly OutcomeRow[], inField: (driverId: number) => boolean = () => true): DriverOutcome[] {
  const field = rows.filter((r) => inField(r.driverId));
  const order = field.map((_, i) => i).sort((a, b) => field[a]!.positionOrder - field[b]!.positionOrder || a - b);
  const finish = new Array<number>(field.length);
  order.forEach((i, k) => (finish[i] = k + 1));
  return field.map((r, i) => ({
    driverId: r.driverId,
    finish: finish[i]!,
    win: finish[i] === 1,
    podium: finish[i]! <= 3,
    top10: finish[i]! <= 10,
    dnf: isDnf(r),
  }));
}

/**
 * A finisher's race-time gap to the winner in seconds; null for the lapped (no race time),
 * the unclassified, and a race whose winner has no time.
 */
export function actualGapSeconds(rows: readonly (OutcomeRow & { milliseconds: number | null })[], driverId: number): number | null {
  const winner = rows.find((r) => r.position === 1);
  const r = rows.find((x) => x.driverId === driverId);
  if (!winner?.milliseconds || !r?.milliseconds || r.position === null) return null;
  return (r.milliseconds - winner.milliseconds) / 1000;
}
