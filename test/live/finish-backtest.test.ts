import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Race } from '../../shared/domain/reference.js';
import { currentOrderOdds, fitCurrentOrder, normaliseTo } from '../../shared/live/current-order.js';
import { caseOf, orderObservations, scoreForecaster, preRaceForecaster, modelForecaster, type FinishRace } from '../../shared/live/finish-backtest.js';
import { runFinishBacktest } from '../../shared/live/finish-backtest-run.js';
import { defaultLiveFinishParams, type PriorEntry } from '../../shared/live/finish-forecast.js';
import { raceStateAt } from '../../shared/live/race-state.js';
import { liveGoals, formatLiveTable } from '../../shared/cli/commands/backtest-live.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { addResults, buildSeason, type BuiltSeason } from '../helpers/builders.js';
import { backends } from '../helpers/databases.js';
import { carLaps } from './finish-laps.js';

const LAPS = 57;
const RETIRED_AFTER = 20;

/**
 * A race run to its classification: the eventual winner loses 3 s on lap 1 and is 0.15 s a
 * lap quicker than the second, so it passes on lap 21; each car stops once; the retired car
 * stops completing laps after lap 20 (as the builders' results say).
 */
function racedLaps(race: Race, order: readonly number[], retired: readonly number[]) {
  return order.flatMap((driverId, i) =>
    carLaps({
      raceId: race.id,
      driverId,
      laps: retired.includes(driverId) ? RETIRED_AFTER : LAPS,
      lapMs: (lap) => 90_000 + i * 150 + (i === 0 && lap === 1 ? 3_000 : 0),
      stopAfter: [18 + i],
    }),
  );
}

async function seasonWithLaps(repo: Repository, season: number, races: number) {
  const s = await buildSeason(repo, { season, races, drivers: 10 });
  const out: { race: Race; order: number[]; retired: number[] }[] = [];
  for (const [k, race] of s.races.entries()) {
    // A different finishing order each race; the last car retires.
    const order = s.drivers.map((_, i) => s.drivers[(i + k) % s.drivers.length]!);
    const retired = [order.at(-1)!];
    await addResults(repo, s, race, order, retired);
    await repo.reference.upsert('laps', racedLaps(race, order, retired).map((l) => ({ ...l })));
    out.push({ race, order, retired });
  }
  return { s, races: out };
}

const evenPrior = (s: BuiltSeason): PriorEntry[] =>
  s.drivers.map((driverId) => ({ driverId, pWin: 0.1, pPodium: 0.3, pPoints: 1, pDnf: 0.1, expectedPosition: 5.5, gapSeconds: 10, gapLowSeconds: 5, gapHighSeconds: 20 }));

describe('the current-order lookup', () => {
  it('is fitted on a small built season: the leader late in the race mostly wins, a retired car finishes past the field', async () => {
    const repo = createMemoryRepository();
    const { s, races } = await seasonWithLaps(repo, 2021, 4);
    const finishRaces: FinishRace[] = await Promise.all(
      races.map(async ({ race }) => ({
        raceId: race.id,
        season: 2021,
        round: race.round,
        totalLaps: LAPS,
        laps: await repo.reference.laps(race.id),
        teams: s.teamOf,
        results: (await repo.reference.results(race.id)).map((r) => ({ driverId: r.driverId, position: r.position, positionOrder: r.positionOrder })),
        prior: evenPrior(s),
      })),
    );
    const table = fitCurrentOrder(orderObservations(finishRaces));
    const late = table.rows[8]!; // 80–90% run
    const early = table.rows[0]!;
    expect(late[0]![0]!).toBeGreaterThan(0.5); // P(win | leading at 80%)
    expect(late[0]![0]!).toBeGreaterThan(late[1]![0]!);
    // Before the pass the leader on the road is the eventual second.
    expect(early[0]![1]!).toBeGreaterThan(early[0]![0]!);
    for (const row of late) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    // The car running last (10th) at 10–20% is the one that retires: its mass is past the field.
    const tenth = table.rows[1]![9]!;
    expect(tenth.at(-1)!).toBeGreaterThan(Math.max(...tenth.slice(0, -1)));

    const state = raceStateAt({ raceId: races[0]!.race.id, totalLaps: LAPS, laps: finishRaces[0]!.laps, teams: s.teamOf, lap: 40 });
    const odds = currentOrderOdds(table, state);
    expect(odds.reduce((a, o) => a + o.win, 0)).toBeCloseTo(1, 9);
    expect(odds.reduce((a, o) => a + o.podium, 0)).toBeCloseTo(3, 9);
    // Nine cars still run: every one of them is in the points.
    expect(odds.reduce((a, o) => a + o.points, 0)).toBeCloseTo(9, 9);
    expect(odds.find((o) => o.driverId === races[0]!.retired[0])!.win).toBe(0);

    // The live model on the same races beats an uninformed pre-race forecast late in the race.
    const cases = finishRaces.map((r) => caseOf(r, 0.75));
    const model = scoreForecaster(cases, modelForecaster({ ...defaultLiveFinishParams, samples: 500 }));
    const pre = scoreForecaster(cases, preRaceForecaster);
    expect(model.byFraction['0.75']!.winnerLogLoss).toBeLessThan(pre.byFraction['0.75']!.winnerLogLoss);
  });

  it('normalises shares to k without any above 1', () => {
    const out = normaliseTo([0.9, 0.05, 0.05], 2);
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(2, 12);
    expect(out[0]).toBe(1);
    expect(out[1]).toBeCloseTo(0.5, 12);
  });
});

const postgres = backends.find((b) => b.name === 'postgres')!;

describe.skipIf(postgres.skip)('the live backtest end to end on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof postgres.open>>;
  let repo: Repository;
  const priors = new Map<number, PriorEntry[]>();
  beforeAll(async () => {
    db = await postgres.open();
    repo = createRepository(db.knex);
    for (const season of [2021, 2022, 2023]) {
      const { s, races } = await seasonWithLaps(repo, season, 4);
      for (const { race } of races) priors.set(race.id, evenPrior(s));
    }
  }, 60_000);
  afterAll(async () => db?.close());

  it('fits on the training season, chooses on the next, scores the test races beside both baselines', async () => {
    const report = await runFinishBacktest({ repo, logger: silentLogger, priors }, { train: [2021, 2021], choose: 2022, test: 2023, testMaxRound: 3 });
    expect(report.races).toEqual({ train: 4, choose: 4, test: 3 });
    expect(report.laps.test).toBe(3 * (9 * LAPS + RETIRED_AFTER));
    for (const f of ['0.25', '0.5', '0.75']) {
      expect(report.test.model.byFraction[f]!.cases).toBe(3);
      expect(Number.isFinite(report.test.currentOrder.byFraction[f]!.brierPodium)).toBe(true);
    }
    // An uninformed prior is beaten once the order has settled.
    expect(report.test.model.byFraction['0.75']!.winnerLogLoss).toBeLessThan(report.test.preRace.byFraction['0.75']!.winnerLogLoss);
    expect(report.forecastMs.cars).toBe(10);
    const goals = liveGoals(report.test, null, report.forecastMs.max);
    expect(goals.finishForecastMs.met).toBe(true);
    expect(Object.keys(goals.finishBeatsBothBaselines.each)).toHaveLength(9);
    expect(formatLiveTable(report, null)).toContain('winner log loss @ 75%');
  }, 120_000);
});
