import type { Race } from '../domain/reference.js';
import type { CircuitResult } from './inputs.js';

export type CircuitChoice = 'query' | 'next race' | 'last race';

/**
 * The circuit a page shows results at when the query names none: the circuit of the season's
 * next race after the last one with results (the first race when none has results yet), else
 * (the season is over) the season's last race's circuit.
 */
export function defaultCircuit(races: readonly Race[], withResults: ReadonlySet<number>): { circuitId: number; chosenBy: CircuitChoice } | null {
  if (races.length === 0) return null;
  const lastDone = races.reduce((at, r, i) => (withResults.has(r.id) ? i : at), -1);
  const next = races[lastDone + 1];
  return next ? { circuitId: next.circuitId, chosenBy: 'next race' } : { circuitId: races.at(-1)!.circuitId, chosenBy: 'last race' };
}

/** A driver's or team's results at one circuit over every stored season, oldest first. */
export function circuitResults(rows: readonly CircuitResult[]) {
  const results = [...rows]
    .sort((a, b) => a.season - b.season || a.round - b.round || a.positionOrder - b.positionOrder)
    .map((r) => ({ season: r.season, round: r.round, raceId: r.raceId, race: r.race, driverId: r.driverId, grid: r.grid, position: r.position, positionText: r.positionText, points: r.points, status: r.status }));
  return { races: new Set(rows.map((r) => r.raceId)).size, results };
}
