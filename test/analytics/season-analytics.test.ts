import { describe, expect, it } from 'vitest';
import { circuitResults, defaultCircuit } from '../../shared/analytics/circuit.js';
import { driverAnalytics, qualifyingGap, teammates } from '../../shared/analytics/driver-analytics.js';
import type { AnalyticsLap, AnalyticsQualifying, AnalyticsResult, SeasonData } from '../../shared/analytics/inputs.js';
import { teamAnalytics } from '../../shared/analytics/team-analytics.js';
import type { Race } from '../../shared/domain/reference.js';

const race = (id: number, round: number, circuitId = 100 + round): Race => ({ id, season: 2030, round, circuitId, name: `Race ${round}`, url: null, sessions: { race: { date: `2030-0${round}-01`, time: null } } });
const result = (raceId: number, driverId: number, constructorId: number, grid: number, positionOrder: number, more: Partial<AnalyticsResult> = {}): AnalyticsResult => ({
  raceId, driverId, constructorId, grid, position: positionOrder, positionText: String(positionOrder), positionOrder, points: 0, laps: 50, status: 'Finished', ...more,
});
const quali = (raceId: number, driverId: number, constructorId: number, position: number, q1: number | null, q2: number | null = null, q3: number | null = null): AnalyticsQualifying => ({
  raceId, driverId, constructorId, position, q1Ms: q1, q2Ms: q2, q3Ms: q3,
});
const lap = (raceId: number, driverId: number, n: number, timeMs: number, compound: AnalyticsLap['compound'] = 'HARD'): AnalyticsLap => ({
  raceId, driverId, lap: n, timeMs, compound, stint: 1, tyreLife: n, trackStatus: '1', pitIn: false, pitOut: false,
});

/**
 * Team 10 runs drivers 1 and 2; team 20 drivers 3, 4 and 5 (the field for the lap medians).
 * Race 1 (round 1) is dry, race 2 (round 2) wet, race 3 (round 3) has qualifying only.
 */
function season(): SeasonData {
  const races = [race(1, 1), race(2, 2), race(3, 3)];
  const pace = { 1: 89_000, 2: 90_000, 3: 91_000, 4: 92_000, 5: 93_000 } as Record<number, number>;
  const laps = [1, 2].flatMap((raceId) =>
    [1, 2, 3, 4, 5].flatMap((car) => [2, 3, 4, 5, 6, 7].map((n) => lap(raceId, car, n, pace[car]! + (raceId === 2 ? 10_000 : 0), raceId === 2 ? 'INTERMEDIATE' : 'HARD'))),
  );
  return {
    season: 2030,
    races,
    results: [
      // Race 1: driver 1 from 5th to 1st, driver 2 from the pit lane (grid 0) to 4th.
      result(1, 1, 10, 5, 1, { points: 25 }), result(1, 2, 10, 0, 4, { points: 12 }), result(1, 3, 20, 1, 2, { points: 18 }), result(1, 4, 20, 2, 3, { points: 15 }), result(1, 5, 20, 3, 5, { points: 10 }),
      // Race 2: driver 1 out with an engine failure, driver 2 crashed (not mechanical).
      result(2, 1, 10, 1, 4, { position: null, positionText: 'R', status: 'Engine', laps: 12 }), result(2, 2, 10, 2, 5, { position: null, positionText: 'R', status: 'Accident', laps: 3 }),
      result(2, 3, 20, 3, 1, { points: 25 }), result(2, 4, 20, 4, 2, { points: 18 }), result(2, 5, 20, 5, 3, { points: 15 }),
    ],
    sprintResults: [],
    qualifying: [
      // Race 1: both in Q3, driver 1 0.5% faster. Race 2: driver 2 out in Q2, so Q2 is compared.
      quali(1, 1, 10, 1, 80_500, 80_200, 79_600), quali(1, 2, 10, 2, 80_600, 80_300, 80_000), quali(1, 3, 20, 3, 80_700, 80_400, 80_100),
      quali(2, 1, 10, 1, 81_000, 80_800, 80_000), quali(2, 2, 10, 5, 81_100, 80_400), quali(2, 3, 20, 2, 79_000),
      // Race 3: a gap of 10% is a problem lap, left out; pole 78 s by team 20.
      quali(3, 1, 10, 4, 88_000), quali(3, 2, 10, 2, 80_000), quali(3, 3, 20, 1, 78_000),
    ],
    laps,
    pitStops: [
      { raceId: 1, driverId: 1, stop: 1, lap: 20, milliseconds: 22_000 },
      { raceId: 1, driverId: 2, stop: 1, lap: 21, milliseconds: 24_000 },
      { raceId: 1, driverId: 2, stop: 2, lap: 40, milliseconds: 1_500_000 }, // a red-flag stop
      { raceId: 1, driverId: 3, stop: 1, lap: 22, milliseconds: 20_000 },
      { raceId: 2, driverId: 1, stop: 1, lap: 8, milliseconds: 30_000 },
    ],
    driverStandings: [
      { raceId: 1, entityId: 1, points: 25, position: 1, positionText: '1', wins: 1 },
      { raceId: 2, entityId: 1, points: 25, position: 2, positionText: '2', wins: 1 },
    ],
    constructorStandings: [
      { raceId: 1, entityId: 10, points: 37, position: 1, positionText: '1', wins: 1 },
      { raceId: 2, entityId: 10, points: 37, position: 2, positionText: '2', wins: 1 },
    ],
    raceControl: [],
  };
}

describe('qualifying gap to the teammate', () => {
  it('compares the last session both set a time in', () => {
    expect(qualifyingGap(quali(1, 1, 10, 1, 1, 2, 99_000), quali(1, 2, 10, 2, 1, 2, 100_000))).toEqual({ session: 'Q3', gapMs: -1000, gapPct: -1 });
    expect(qualifyingGap(quali(1, 1, 10, 1, 90_000, 80_800, 80_000), quali(1, 2, 10, 2, 90_000, 80_000))).toEqual({ session: 'Q2', gapMs: 800, gapPct: 1 });
    expect(qualifyingGap(quali(1, 1, 10, 1, null), quali(1, 2, 10, 2, 80_000))).toBeNull();
  });
});

describe("a driver's season", () => {
  const a = driverAnalytics(season(), 1);

  it('gives the teammate gap per race and its median, leaving out a problem lap', () => {
    const g = a.teammateQualifyingGap;
    // Race 1: Q3 79.6 vs 80.0 = −0.5%; race 2: Q2 80.8 vs 80.4 = +0.4975%; race 3 (+10%) excluded.
    expect(g.perRace.map((r) => [r.round, r.session, r.gapMs])).toEqual([[1, 'Q3', -400], [2, 'Q2', 400]]);
    expect(g.races).toBe(2);
    expect(g.excluded).toBe(1);
    expect(g.medianMs).toBe(0);
    expect(g.medianPct).toBeCloseTo((-0.5 + (400 / 80_400) * 100) / 2, 3);
    expect(g.outqualified).toBe(2);
  });

  it('measures race pace against the field in each race and over the season', () => {
    // Driver 1 runs 89 s to the field's 91 s (dry), 99 s to 101 s (wet).
    expect(a.racePace.perRace.map((r) => r.deltaSeconds)).toEqual([-2, -2]);
    expect(a.racePace.medianDeltaSeconds).toBe(-2);
    expect(a.racePace.races).toBe(2);
    expect(a.consistency.pace.sdPct).toBeCloseTo(Math.abs((2 / 91) * 100 - (2 / 101) * 100) / Math.SQRT2, 3);
  });

  it('counts positions gained over classified finishes from a grid slot only', () => {
    expect(a.positionsGained).toMatchObject({ mean: 4, total: 4, races: 1 });
    expect(driverAnalytics(season(), 2).positionsGained).toMatchObject({ mean: null, races: 0 }); // pit-lane start, then a crash
  });

  it('splits the results into wet and dry races by the compounds the field ran', () => {
    expect(a.wetRaces.perRace.map((r) => [r.round, r.wet])).toEqual([[1, false], [2, true], [3, null]]);
    expect(a.wetRaces.wet).toEqual({ races: 1, meanFinish: null, meanPoints: 0, dnfs: 1 });
    expect(a.wetRaces.dry).toEqual({ races: 1, meanFinish: 1, meanPoints: 25, dnfs: 0 });
    expect(a.wetRaces.unknownRaces).toBe(1);
  });

  it('times pit stops against the field, leaving out a red-flag stop', () => {
    expect(a.pitStops).toMatchObject({ medianSeconds: 26, meanSeconds: 26, stops: 2, races: 2, excluded: 0, fieldMedianSeconds: 23, deltaToFieldSeconds: 3 }); // field: 20, 22, 24, 30
    expect(driverAnalytics(season(), 2).pitStops).toMatchObject({ stops: 1, excluded: 1, medianSeconds: 24 });
  });

  it('counts an engine failure as mechanical and a crash not', () => {
    expect(a.mechanicalDnfs).toMatchObject({ count: 1, races: 2 });
    expect(a.mechanicalDnfs.list[0]).toMatchObject({ round: 2, status: 'Engine', laps: 12 });
    expect(driverAnalytics(season(), 2).mechanicalDnfs.count).toBe(0);
  });

  it('reads points and place per round from the standings', () => {
    expect(a.pointsOverSeason.rounds.map((r) => [r.round, r.points, r.position])).toEqual([[1, 25, 1], [2, 25, 2]]);
    expect(a.pointsOverSeason).toMatchObject({ finalPoints: 25, finalPosition: 2, races: 2 });
  });

  it('says why a figure is empty', () => {
    const noLaps = driverAnalytics({ ...season(), laps: [], pitStops: [] }, 1);
    expect(noLaps.racePace).toMatchObject({ medianDeltaSeconds: null, races: 0, reason: 'no lap data stored for 2030' });
    expect(noLaps.tyreDegradation.reason).toBe('no lap data stored for 2030');
    expect(noLaps.pitStops.reason).toBe('no pit stops stored for 2030');
    expect(a.racePace.reason).toBeNull();
  });
});

describe('teammates', () => {
  /** Driver 6 stands in for driver 2 at team 10 in race 2, then drives for team 20 (beside driver 3) in race 3. */
  const standIn = (): SeasonData => {
    const s = season();
    const swap = <T extends { raceId: number; driverId: number }>(r: T): T => (r.raceId === 2 && r.driverId === 2 ? { ...r, driverId: 6 } : r);
    return { ...s, results: s.results.map(swap), qualifying: [...s.qualifying.map(swap), quali(3, 6, 20, 3, 78_500)] };
  };

  it('are the drivers of the same team in the same race, not the team-mates of other races', () => {
    const s = standIn();
    expect(teammates(s, 6)).toEqual([1, 3]);
    expect(teammates(s, 2)).toEqual([1]);
    expect(teammates(s, 1)).toEqual([2, 6]); // 2 raced beside 1 in races 1 and 3, 6 in race 2
    expect(teammates(s, 3)).toEqual([4, 5, 6]);
  });

  it('are the only pairs the qualifying gap compares', () => {
    const s = standIn();
    expect(driverAnalytics(s, 6).teammateQualifyingGap.perRace.map((r) => [r.round, r.teammateId])).toEqual([[2, 1], [3, 3]]);
    expect(driverAnalytics(s, 2).teammateQualifyingGap.perRace.map((r) => r.teammateId)).toEqual([1]); // race 3's gap is over 5%
    expect(driverAnalytics(s, 1).teammateQualifyingGap.perRace.map((r) => [r.round, r.teammateId])).toEqual([[1, 2], [2, 6]]);
  });
});

describe("a team's season", () => {
  const t = teamAnalytics(season(), 10);

  it('pools both cars', () => {
    expect(t.racePace.perRace[0]!.cleanLaps).toBe(12);
    expect(t.racePace.perRace.map((r) => r.deltaSeconds)).toEqual([-1.5, -1.5]); // −2 s and −1 s laps, median of 12
    expect(t.mechanicalDnfs.count).toBe(1);
    expect(t.pitStops).toMatchObject({ stops: 3, excluded: 1, medianSeconds: 24 });
    expect(t.drivers).toEqual([{ driverId: 1, races: 2, points: 25 }, { driverId: 2, races: 2, points: 12 }]);
    expect(t.pointsOverSeason.finalPoints).toBe(37);
  });

  it("counts its drivers' sprint points, so they add up to the team's", () => {
    const s = season();
    const sprinted: SeasonData = {
      ...s,
      sprintResults: [{ raceId: 1, driverId: 2, constructorId: 10, points: 8 }, { raceId: 1, driverId: 3, constructorId: 20, points: 7 }],
      constructorStandings: s.constructorStandings.map((c) => ({ ...c, points: c.points + 8 })),
    };
    const team = teamAnalytics(sprinted, 10);
    expect(team.drivers).toEqual([{ driverId: 1, races: 2, points: 25 }, { driverId: 2, races: 2, points: 20 }]);
    expect(team.drivers.reduce((sum, d) => sum + d.points, 0)).toBe(team.pointsOverSeason.finalPoints);
  });

  it("tracks its best car's qualifying gap to pole per round, and the slope", () => {
    // Round 1: 79.6 is pole (0%); round 2: 80.0 vs 79.0 pole; round 3: 80.0 vs 78.0.
    const gaps = [0, (1000 / 79_000) * 100, (2000 / 78_000) * 100];
    expect(t.developmentTrend.perRound.map((r) => r.gapToPolePct)).toEqual(gaps.map((g) => Math.round(g * 1000) / 1000));
    expect(t.developmentTrend.slopePctPerRound).toBeCloseTo((gaps[2]! - gaps[0]!) / 2, 3);
    expect(t.developmentTrend.races).toBe(3);
  });
});

describe('the circuit a page shows', () => {
  const races = [race(1, 1, 7), race(2, 2, 8), race(3, 3, 9)];
  it("is the next race's after the last with results, else the last race's", () => {
    expect(defaultCircuit(races, new Set([1]))).toEqual({ circuitId: 8, chosenBy: 'next race' });
    expect(defaultCircuit(races, new Set())).toEqual({ circuitId: 7, chosenBy: 'next race' });
    expect(defaultCircuit(races, new Set([1, 2, 3]))).toEqual({ circuitId: 9, chosenBy: 'last race' });
    expect(defaultCircuit([], new Set())).toBeNull();
  });

  it('lists the results there oldest first and counts the races', () => {
    const at = (season: number, raceId: number, driverId: number) => ({ ...result(raceId, driverId, 10, 1, 1), season, round: 5, race: 'Monaco' });
    const c = circuitResults([at(2024, 9, 1), at(2023, 8, 2), at(2023, 8, 1)]);
    expect(c.races).toBe(2);
    expect(c.results.map((r) => r.season)).toEqual([2023, 2023, 2024]);
  });
});
