import type { Compound } from '../../shared/domain/reference.js';
import type { RaceInput } from '../../shared/pits/features.js';
import type { PitLap } from '../../shared/pits/labels.js';

/**
 * A small made-up race for unit tests (the real-data tests read F1_DATA_DIR): each car
 * has its own stop laps; a safety car on `scLap`; lap times with tyre wear.
 */
export interface SyntheticCar {
  driverId: number;
  constructorId: number;
  stops: number[];
  compounds: Compound[];
}

export function syntheticRace(o: { raceId?: number; totalLaps: number; scLap?: number; cars: SyntheticCar[] }): RaceInput {
  const laps: PitLap[] = [];
  for (const car of o.cars) {
    let stint = 1;
    let tyreLife = 1;
    for (let lap = 1; lap <= o.totalLaps; lap++) {
      const pitIn = car.stops.includes(lap);
      const pitOut = car.stops.includes(lap - 1);
      laps.push({
        raceId: o.raceId ?? 1,
        driverId: car.driverId,
        lap,
        position: null,
        timeMs: 90_000 + car.driverId * 150 + tyreLife * 80 + (pitIn || pitOut ? 20_000 : 0) + (lap === o.scLap ? 30_000 : 0),
        compound: car.compounds[stint - 1] ?? 'HARD',
        stint,
        tyreLife,
        freshTyre: true,
        trackStatus: lap === o.scLap ? '14' : '1',
        pitIn,
        pitOut,
        sources: ['test'],
      });
      if (pitIn) {
        stint++;
        tyreLife = 1;
      } else tyreLife++;
    }
  }
  return { raceId: o.raceId ?? 1, totalLaps: o.totalLaps, laps, teams: new Map(o.cars.map((c) => [c.driverId, c.constructorId])) };
}

export const fourCars: SyntheticCar[] = [
  { driverId: 1, constructorId: 10, stops: [12], compounds: ['MEDIUM', 'HARD'] },
  { driverId: 2, constructorId: 10, stops: [15], compounds: ['MEDIUM', 'HARD'] },
  { driverId: 3, constructorId: 20, stops: [8, 20], compounds: ['SOFT', 'MEDIUM', 'SOFT'] },
  { driverId: 4, constructorId: 20, stops: [], compounds: ['HARD'] },
];
