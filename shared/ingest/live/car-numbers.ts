import type { Race } from '../../domain/reference.js';
import type { Repository } from '../../repository/index.js';

/** A car of the race: its number in OpenF1 and the driver it is. */
export interface RaceCar {
  number: number;
  driverId: number;
  driverRef: string;
}

/**
 * The race's cars by number, from what is stored before and after the start: the result's
 * numbers once classified (a replay), else qualifying's (a race running now). Race numbers,
 * not drivers.number: the champion runs as #1 while his permanent number stays 33.
 */
export async function raceCars(repo: Pick<Repository, 'reference'>, race: Pick<Race, 'id'>): Promise<{ cars: RaceCar[]; basis: 'results' | 'qualifying' | 'none' }> {
  const refOf = new Map((await repo.reference.drivers()).map((d) => [d.id, d.driverRef]));
  const numbered = (rows: { driverId: number; number: number | null }[]) =>
    rows.filter((r): r is { driverId: number; number: number } => r.number !== null).map((r) => ({ number: r.number, driverId: r.driverId, driverRef: refOf.get(r.driverId)! }));
  const fromResults = numbered(await repo.reference.results(race.id));
  if (fromResults.length) return { cars: fromResults, basis: 'results' };
  const fromQualifying = numbered(await repo.reference.qualifying(race.id));
  if (fromQualifying.length) return { cars: fromQualifying, basis: 'qualifying' };
  return { cars: [], basis: 'none' };
}
