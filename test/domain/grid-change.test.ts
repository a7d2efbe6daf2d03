import { describe, expect, it } from 'vitest';
import { applyGridChanges } from '../../shared/domain/grid-change.js';

// Qualifying rows as stored: out of order on purpose, with a lap time the car keeps.
const rows = [3, 1, 5, 2, 4].map((position) => ({ driverId: 10 + position, constructorId: 1 + (position >> 1), position, bestMs: 80_000 + position }));
const order = (r: { driverId: number; position: number }[]) => [...r].sort((a, b) => a.position - b.position).map((x) => x.driverId);

describe('a changed grid', () => {
  it('a penalty moves the driver back that many places and the ones he passes up one; past the back, last', () => {
    expect(order(applyGridChanges(rows, [{ driverId: 11, gridPenalty: 2 }]))).toEqual([12, 13, 11, 14, 15]);
    expect(order(applyGridChanges(rows, [{ driverId: 12, gridPenalty: 10 }]))).toEqual([11, 13, 14, 15, 12]);
  });

  it('a pit-lane start is behind every car on the grid, even one sent to the back by a penalty', () => {
    expect(order(applyGridChanges(rows, [{ driverId: 11, pitLane: true }, { driverId: 13, gridPenalty: 10 }]))).toEqual([12, 14, 15, 13, 11]);
  });

  it('a given slot, and positions always renumbered 1..n', () => {
    const out = applyGridChanges(rows, [{ driverId: 15, grid: 1 }]);
    expect(order(out)).toEqual([15, 11, 12, 13, 14]);
    expect(out.map((r) => r.position)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a replacement takes the seat: the car, its slot and its lap; the input is left alone', () => {
    const out = applyGridChanges(rows, [{ driverId: 12, replacedBy: 99 }]);
    expect(out.find((r) => r.driverId === 99)).toEqual({ driverId: 99, constructorId: 2, position: 2, bestMs: 80_002 });
    expect(out.some((r) => r.driverId === 12)).toBe(false);
    expect(rows.find((r) => r.driverId === 12)!.position).toBe(2);
  });

  it('no changes: the same grid', () => {
    expect(applyGridChanges(rows, []).sort((a, b) => a.position - b.position)).toEqual([...rows].sort((a, b) => a.position - b.position));
  });
});
