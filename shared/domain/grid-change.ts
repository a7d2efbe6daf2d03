/**
 * A changed grid for a what-if forecast (POST /what-if): a penalty, a pit-lane start, a slot
 * given outright, or a driver swapped out. The forecasts read the grid from the qualifying
 * classification (the grid proxy at the post-qualifying freeze), so a change is applied to the
 * race's qualifying rows before anything reads them.
 */
export type GridChange =
  /** Moves the driver back this many places (the drivers he passes move up one). */
  | { driverId: number; gridPenalty: number }
  /** Starts from the pit lane: behind every car on the grid. */
  | { driverId: number; pitLane: true }
  /** Starts from this slot (1 = pole). */
  | { driverId: number; grid: number }
  /**
   * Another driver takes the seat: the car, its qualifying slot and lap; the forecast reads the
   * replacement's own history for everything about the driver.
   */
  | { driverId: number; replacedBy: number };

interface GridRow {
  driverId: number;
  position: number;
}

/**
 * The rows with the changes applied and positions renumbered 1..n: replacements first, then
 * the penalties and given slots in the order listed, then the pit-lane starters at the back
 * (in the order listed). Rows not in the changes keep their order.
 */
export function applyGridChanges<Q extends GridRow>(rows: readonly Q[], changes: readonly GridChange[]): Q[] {
  const swapped = rows.map((r) => {
    const c = changes.find((x) => 'replacedBy' in x && x.driverId === r.driverId) as { replacedBy: number } | undefined;
    return c ? { ...r, driverId: c.replacedBy } : { ...r };
  });
  const order = [...swapped].sort((a, b) => a.position - b.position);
  const move = (driverId: number, to: (from: number) => number) => {
    const from = order.findIndex((r) => r.driverId === driverId);
    if (from < 0) return;
    const [row] = order.splice(from, 1);
    order.splice(Math.max(0, Math.min(order.length, to(from))), 0, row!);
  };
  for (const c of changes) {
    if ('gridPenalty' in c) move(c.driverId, (from) => from + c.gridPenalty);
    else if ('grid' in c) move(c.driverId, () => c.grid - 1);
  }
  for (const c of changes) if ('pitLane' in c) move(c.driverId, () => order.length);
  return order.map((r, i) => ({ ...r, position: i + 1 }));
}
