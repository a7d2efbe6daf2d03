import type { Compound, Lap } from '../../shared/domain/reference.js';
import type { PitLap } from '../../shared/pits/labels.js';

/** One car's laps table rows: a steady lap time, tyre stops at the end of the given laps (each a new compound). */
export function carLaps(o: { driverId: number; laps: number; lapMs: number | ((lap: number) => number); stopAfter?: number[]; compounds?: Compound[]; raceId?: number }): PitLap[] {
  const stops = o.stopAfter ?? [];
  const compounds = o.compounds ?? ['MEDIUM', 'HARD', 'SOFT'];
  const out: PitLap[] = [];
  let stint = 0;
  let life = 0;
  for (let lap = 1; lap <= o.laps; lap++) {
    life++;
    const stopsHere = stops.includes(lap);
    out.push({
      raceId: o.raceId ?? 7,
      driverId: o.driverId,
      lap,
      position: null,
      timeMs: typeof o.lapMs === 'number' ? o.lapMs : o.lapMs(lap),
      compound: compounds[stint] ?? 'HARD',
      stint: stint + 1,
      tyreLife: life,
      freshTyre: null,
      trackStatus: '1',
      pitIn: stopsHere,
      pitOut: stops.includes(lap - 1),
      pitStop: stopsHere,
      sources: ['test'],
    });
    if (stopsHere) {
      stint++;
      life = 0;
    }
  }
  return out;
}

export type { Lap };
