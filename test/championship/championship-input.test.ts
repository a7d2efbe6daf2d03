import { describe, expect, it } from 'vitest';
import { standingsAfter } from '../../shared/championship/championship-input.js';
import type { History, HistoryRace, HistoryResult } from '../../shared/domain/history.js';
import { indexHistory } from '../../shared/features/race-features.js';

const day = 86_400_000;
const raceOf = (id: number, round: number, sprint = false): HistoryRace => {
  const raceStart = new Date(Date.UTC(2024, 2, 1) + round * 7 * day);
  return { id, season: 2024, round, circuitId: id, roundsInSeason: 3, raceStart, qualiStart: new Date(raceStart.getTime() - day), sprintStart: sprint ? new Date(raceStart.getTime() - day / 2) : null, weekendStart: new Date(raceStart.getTime() - 2 * day), freezeAt: raceStart };
};
const result = (raceId: number, driverId: number, constructorId: number, positionOrder: number, points: number): HistoryResult => ({
  raceId, driverId, constructorId, grid: positionOrder, position: positionOrder, positionOrder, points, laps: 50, milliseconds: null, status: 'Finished',
});

describe('the standings after a round', () => {
  const races = [raceOf(1, 1), raceOf(2, 2, true), raceOf(3, 3)];
  const history: History = {
    races,
    results: [result(1, 7, 70, 1, 25), result(1, 8, 80, 2, 18), result(2, 8, 80, 1, 25), result(2, 7, 70, 2, 18)],
    qualifying: [],
    sprints: [{ raceId: 2, driverId: 7, constructorId: 70, positionOrder: 1, points: 8 }],
    // Published after round 1 only, with a 5-point penalty the results do not show.
    driverStandings: [{ raceId: 1, entityId: 7, points: 20, position: 1 }, { raceId: 1, entityId: 8, points: 18, position: 2 }],
    constructorStandings: [],
  };
  const ix = indexHistory(history);

  it('are the published standings when the round has them', () => {
    expect(standingsAfter(ix, races[0]!, 'driverId')).toEqual([{ id: 7, points: 20, wins: 1 }, { id: 8, points: 18, wins: 0 }]);
  });

  it('add the race and sprint points of the rounds synced since the latest published standings', () => {
    const after2 = new Map(standingsAfter(ix, races[1]!, 'driverId').map((s) => [s.id, s]));
    expect(after2.get(7)).toEqual({ id: 7, points: 20 + 18 + 8, wins: 1 });
    expect(after2.get(8)).toEqual({ id: 8, points: 18 + 25, wins: 1 });
  });

  it('sum the classifications when nothing is published, per constructor too', () => {
    expect(new Map(standingsAfter(ix, races[1]!, 'constructorId').map((s) => [s.id, s.points]))).toEqual(new Map([[70, 25 + 18 + 8], [80, 18 + 25]]));
  });
});
