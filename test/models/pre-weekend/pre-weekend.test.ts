import { describe, expect, it } from 'vitest';
import type { History, HistoryRace, HistoryResult, HistoryStanding } from '../../../shared/domain/history.js';
import { preWeekendFreeze } from '../../../shared/domain/history.js';
import { computeRaceFeatures, indexHistory } from '../../../shared/features/race-features.js';
import { baselineSlots } from '../../../shared/models/pre-weekend/baselines.js';
import { explainedPreWeekend, predictPreWeekend, preWeekendGapTable, preWeekendWalk } from '../../../shared/models/pre-weekend/model.js';
import { NEWCOMER, preWeekendTermNames, termsOf } from '../../../shared/models/pre-weekend/terms.js';
import { featureNames } from '../../../shared/features/race-features.js';

/**
 * A synthetic championship: `seasons` seasons of `rounds` races a fortnight apart, six drivers
 * in three teams; `order(season, round)` gives the finishing order (driver ids), every car
 * classified. Standings are accumulated from the results with 25-18-15-12-10-8.
 */
function championship(seasons: number[], rounds: number, order: (season: number, round: number) => number[]): History {
  const points = [25, 18, 15, 12, 10, 8];
  const team = (d: number) => 100 + Math.ceil(d / 2);
  const races: HistoryRace[] = [];
  const results: HistoryResult[] = [];
  const driverStandings: HistoryStanding[] = [];
  const constructorStandings: HistoryStanding[] = [];
  let id = 1;
  for (const season of seasons) {
    const total = new Map<number, number>();
    const teamTotal = new Map<number, number>();
    for (let round = 1; round <= rounds; round++, id++) {
      const raceStart = new Date(Date.UTC(season, 2, 1 + 14 * (round - 1), 14));
      races.push({
        id, season, round, circuitId: round, roundsInSeason: rounds, raceStart,
        qualiStart: new Date(raceStart.getTime() - 86_400_000), sprintStart: null,
        weekendStart: new Date(raceStart.getTime() - 2 * 86_400_000), freezeAt: new Date(raceStart.getTime() - 20 * 3_600_000),
      });
      order(season, round).forEach((driverId, k) => {
        results.push({ raceId: id, driverId, constructorId: team(driverId), grid: k + 1, position: k + 1, positionOrder: k + 1, points: points[k] ?? 0, laps: 50, milliseconds: 5_400_000 + k * 5_000, status: 'Finished' });
        total.set(driverId, (total.get(driverId) ?? 0) + (points[k] ?? 0));
        teamTotal.set(team(driverId), (teamTotal.get(team(driverId)) ?? 0) + (points[k] ?? 0));
      });
      const rank = (m: Map<number, number>) => [...m].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([entityId, p], k) => ({ raceId: id, entityId, points: p, position: k + 1 }));
      driverStandings.push(...rank(total));
      constructorStandings.push(...rank(teamTotal));
    }
  }
  return { races, results, qualifying: [], sprints: [], driverStandings, constructorStandings };
}

describe('the pre-weekend terms', () => {
  it('stand in the neutral value for an unknown feature and mark a newcomer', () => {
    const values = featureNames.map(() => null);
    const x = termsOf(values);
    expect(x).toHaveLength(preWeekendTermNames.length);
    expect(x[preWeekendTermNames.indexOf(NEWCOMER)]).toBe(1);
    const known = featureNames.map((n) => (n === 'driverFormPosition' ? 3 : null));
    expect(termsOf(known)[preWeekendTermNames.indexOf(NEWCOMER)]).toBe(0);
    expect(termsOf(known)[preWeekendTermNames.indexOf('driverFormPosition')]).toBeCloseTo(0.3);
  });
});

describe('the pre-weekend baselines', () => {
  // Season 2023: driver 6 always wins, 1 last; 2024 R1: 1 wins; R2 reversed again.
  const h = championship([2023, 2024], 3, (s, r) => (s === 2024 && r === 1 ? [1, 2, 3, 4, 5, 6] : [6, 5, 4, 3, 2, 1]));
  const ix = indexHistory(h);
  const race = (s: number, r: number) => h.races.find((x) => x.season === s && x.round === r)!;
  const features = (s: number, r: number) => computeRaceFeatures(ix, race(s, r).id, preWeekendFreeze(race(s, r), 24));
  const slotsBy = (kind: 'championshipOrder' | 'previousRace', s: number, r: number) => {
    const f = features(s, r);
    const slots = baselineSlots(kind, ix, f);
    return Object.fromEntries(f.drivers.map((d, i) => [d.driverId, slots[i]]));
  };

  it('before round 1 read the previous season: its last line-up, final standings and last race', () => {
    expect(features(2024, 1).drivers.map((d) => d.driverId).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(slotsBy('championshipOrder', 2024, 1)).toEqual({ 6: 1, 5: 2, 4: 3, 3: 4, 2: 5, 1: 6 });
    expect(slotsBy('previousRace', 2024, 1)).toEqual({ 6: 1, 5: 2, 4: 3, 3: 4, 2: 5, 1: 6 });
  });

  it("after round 1 rank by this season's standings and the previous race's finish", () => {
    // After 2024 R1 (1 won): standings 1 (25), 2 (18), ... — the previous race's order too.
    expect(slotsBy('championshipOrder', 2024, 2)).toEqual({ 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6 });
    // After R2 (6 won again): the standings tie 1 and 6 on 33 (ranked by id here), the previous race is 6 first.
    expect(slotsBy('previousRace', 2024, 3)).toEqual({ 6: 1, 5: 2, 4: 3, 3: 4, 2: 5, 1: 6 });
  });
});

describe('the pre-weekend learner', () => {
  // Driver 1 wins every race, 2 is second, and so on: the learner must come to favour 1.
  const seasons = [2020, 2021, 2022];
  const order = () => [1, 2, 3, 4, 5, 6];
  const h = championship(seasons, 12, order);
  const ix = indexHistory(h);

  it('learns the pecking order from the races before, and forecasts a race without its result', () => {
    const steps = [...preWeekendWalk(ix, h.races, 24)];
    // The very first race has no earlier line-up, so no entry list: passed over.
    expect(steps.map((s) => s.race.id)).toEqual(h.races.slice(1).map((r) => r.id));
    const last = steps.at(-1)!;
    const gap = preWeekendGapTable(ix, last.race.season, last.features.asOf.getTime());
    const forecast = predictPreWeekend(last.before, last.features, gap);
    const p = Object.fromEntries(forecast.map((d) => [d.driverId, d.pWin]));
    expect(p[1]).toBeGreaterThan(0.4);
    const expected = [1, 2, 3, 4, 5, 6].map((id) => forecast.find((d) => d.driverId === id)!.expectedPosition);
    expect(expected).toEqual([...expected].sort((a, b) => a - b));
    expect(forecast.reduce((s, d) => s + d.pWin, 0)).toBeCloseTo(1, 6);
    // The first forecast race had one result to learn from: nearly everyone alike.
    const first = predictPreWeekend(steps[0]!.before, steps[0]!.features, gap);
    expect(Math.max(...first.map((d) => d.pWin)) - Math.min(...first.map((d) => d.pWin))).toBeLessThan(0.05);
  });

  it("never reads the forecast race's own result: changing it changes the next forecast only", () => {
    const flipped = championship(seasons, 12, (s, r) => (s === 2022 && r === 6 ? [6, 5, 4, 3, 2, 1] : order()));
    const before = [...preWeekendWalk(ix, h.races, 24)];
    const after = [...preWeekendWalk(indexHistory(flipped), flipped.races, 24)];
    const at = before.findIndex((s) => s.race.season === 2022 && s.race.round === 6);
    expect(after[at]!.before).toEqual(before[at]!.before);
    expect(after[at + 1]!.before).not.toEqual(before[at + 1]!.before);
  });

  it("explains each entry by the terms' exact parts, and its head-to-head is coherent", () => {
    const steps = [...preWeekendWalk(ix, h.races, 24)];
    const last = steps.at(-1)!;
    const gap = preWeekendGapTable(ix, last.race.season, last.features.asOf.getTime());
    const { drivers, headToHead } = explainedPreWeekend(last.before, last.features, gap);
    // The same entries as the backtest's forecast, plus reasons.
    expect(drivers.map(({ reasons: _r, ...d }) => d)).toEqual(predictPreWeekend(last.before, last.features, gap));
    const leader = drivers.find((d) => d.driverId === 1)!;
    expect(leader.reasons!.length).toBeGreaterThan(0);
    expect(leader.reasons!.every((r) => r.effect < 0)).toBe(true);
    const back = drivers.find((d) => d.driverId === 6)!;
    expect(back.reasons!.some((r) => r.effect > 0)).toBe(true);
    const n = drivers.length;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) expect(headToHead[i]![j]! + headToHead[j]![i]!).toBeCloseTo(1, 9);
  });
});
