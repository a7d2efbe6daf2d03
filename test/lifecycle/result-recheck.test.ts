import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../shared/clock.js';
import { freezeWindow, type FreezePolicy } from '../../shared/domain/freeze-policy.js';
import { classificationChanges, describeChanges, versionedResult } from '../../shared/domain/result-versions.js';
import type { RaceResult } from '../../shared/domain/reference.js';
import { NotReadyError } from '../../shared/errors.js';
import { fetchedResultsSource } from '../../shared/ingest/results-source.js';
import type { RecordBatch } from '../../shared/ingest/records.js';
import { predict } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { racesToRecheck, recheckRecentResults } from '../../shared/lifecycle/recheck-results.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { buildSeason, resultBatch } from '../helpers/builders.js';

const policy: FreezePolicy = { kind: 'post_qualifying' };

describe('the change text of a corrected classification', () => {
  const row = (driverId: number, positionOrder: number, over: Partial<RaceResult> = {}): RaceResult => ({
    raceId: 1, driverId, constructorId: 1, number: null, grid: positionOrder, position: positionOrder, positionText: String(positionOrder), positionOrder,
    points: 0, laps: 57, timeText: null, milliseconds: null, fastestLap: null, fastestLapRank: null, fastestLapTime: null, fastestLapSpeed: null, status: 'Finished', ...over,
  });
  const name = (id: number) => ['', 'LEC', 'SAI', 'HAM'][id]!;

  it('names each driver that changed with each field, a disqualification by its position text, and nothing for the same classification', () => {
    const before = [row(1, 1), row(2, 2, { timeText: '+1.2' }), row(3, 3)].map(versionedResult);
    const after = [row(1, 1), row(3, 2), row(2, 20, { position: null, positionText: 'D', status: 'Disqualified', timeText: null })].map(versionedResult);
    expect(classificationChanges(before, before, name)).toEqual([]);
    expect(describeChanges(classificationChanges(before, after, name))).toBe('HAM: P3 → P2; SAI: P2 → D, status Finished → Disqualified, time +1.2 → —');
  });

  it('a row only in one of them is added or removed', () => {
    const changes = classificationChanges([row(1, 1), row(2, 2)].map(versionedResult), [row(1, 1), row(3, 2)].map(versionedResult), name);
    expect(changes.map((c) => [c.driver, c.kind])).toEqual([['HAM', 'added'], ['SAI', 'removed']]);
    expect(describeChanges(changes)).toBe('HAM: newly classified, P2; SAI: no longer classified');
  });
});

describe('the daily re-check over a week of races, on a simulated clock', () => {
  it('re-checks every finished race of the last 7 days and the latest one, each through the sync, reporting each outcome', async () => {
    const repo = createMemoryRepository();
    // Races on Sunday 3 March and, brought forward, Thursday 7 March (13:00 UTC), then 17 and 24 March.
    const season = await buildSeason(repo);
    const [r1, r2] = season.races as [typeof season.races[0], typeof season.races[0]];
    await repo.reference.upsert('races', [{ season: 2024, round: 2, circuitId: r2.circuitId, name: r2.name, date: '2024-03-07', time: '13:00:00', qualiDate: '2024-03-06', qualiTime: '14:00:00' }]);
    const [a, b] = [(await repo.races.byId(r1.id))!, (await repo.races.byId(r2.id))!];
    for (const race of [a, b]) {
      const at = new SimulatedClock(freezeWindow(race, policy).allowedAt);
      await predict({ repo, clock: at, policy, forecaster: async () => new QualifyingOrderForecaster(repo) }, { year: 2024, race: String(race.round) });
    }

    // What the upstream has published, by round: changed as the week goes on.
    const published = new Map<number, RecordBatch>();
    const source = fetchedResultsSource(async (_season, round) => published.get(round) ?? { results: [] });
    const clock = new SimulatedClock(new Date('2024-03-03T18:00:00Z'));
    const recheck = () => recheckRecentResults({ repo, source, policy, clock });
    const summary = (races: { round: number; outcome: string; resultVersion: number | null }[]) => races.map((r) => [r.round, r.outcome, r.resultVersion]);
    const drivers = season.drivers;

    // Sunday evening: R1 not published yet; the route's 503, with the report.
    const sunday = await recheck().catch((e: unknown) => e);
    expect(sunday).toBeInstanceOf(NotReadyError);
    expect(summary((sunday as NotReadyError).details!.races as never)).toEqual([[1, 'not_published', null]]);

    // Monday: published.
    clock.set(new Date('2024-03-04T06:00:00Z'));
    published.set(1, resultBatch(season, a, drivers));
    const monday = await recheck();
    expect(summary(monday.races)).toEqual([[1, 'stored', 1]]);
    expect(monday.latest.result).toMatchObject({ outcome: 'stored', version: 1 });

    // Tuesday: a penalty swaps the first two: version 2, re-scored against it.
    clock.set(new Date('2024-03-05T06:00:00Z'));
    published.set(1, resultBatch(season, a, [drivers[1]!, drivers[0]!, ...drivers.slice(2)]));
    const tuesday = await recheck();
    expect(summary(tuesday.races)).toEqual([[1, 'corrected', 2]]);
    expect(tuesday.races[0]!.detail).toMatch(/^\w+: P2 → P1, points 9 → 10, time .*; \w+: P1 → P2/);
    expect(tuesday.latest.evaluation).toMatchObject({ resultVersion: 2 });

    // Friday: R2 (Thursday) is the latest and not published: 503, while R1 is re-checked beside it.
    clock.set(new Date('2024-03-08T06:00:00Z'));
    const friday = await recheck().catch((e: unknown) => e);
    expect(friday).toBeInstanceOf(NotReadyError);
    expect(summary((friday as NotReadyError).details!.races as never)).toEqual([[1, 'unchanged', 2], [2, 'not_published', null]]);

    // Saturday: both published; R1 unchanged.
    clock.set(new Date('2024-03-09T06:00:00Z'));
    published.set(2, resultBatch(season, b, drivers));
    expect(summary((await recheck()).races)).toEqual([[1, 'unchanged', 2], [2, 'stored', 1]]);

    // A week after R1's start it drops out; R2 is still checked.
    clock.set(new Date('2024-03-10T14:00:00Z'));
    expect((await racesToRecheck(repo, clock.now())).map((r) => r.round)).toEqual([2]);
    expect(summary((await recheck()).races)).toEqual([[2, 'unchanged', 1]]);
    expect((await repo.resultVersions.history(a.id)).map((v) => v.version)).toEqual([1, 2]);

    // Every sync was an ingestion run: the six that got a classification succeeded (not published: no run).
    const runs = (await repo.ingestionRuns.latest(20)).filter((r) => r.source === 'results-sync');
    expect(runs.map((r) => r.status)).toEqual(Array(6).fill('succeeded'));
  });

  it('long after the last race, the latest finished race is still re-checked; with no finished race, a 404 says what it looked for', async () => {
    const repo = createMemoryRepository();
    await buildSeason(repo);
    expect((await racesToRecheck(repo, new Date('2024-06-01T00:00:00Z'))).map((r) => r.round)).toEqual([4]);
    await expect(racesToRecheck(repo, new Date('2024-03-01T00:00:00Z'))).rejects.toThrow(/no race of 2023 or later started before 2024-02-29T22:00:00.000Z/);
  });
});
