import { describe, expect, it } from 'vitest';
import { freezeStatus, freezeWindow, policyKey, policyMinutes, storedPolicy, type FreezePolicy } from '../../shared/domain/freeze-policy.js';
import type { Race } from '../../shared/domain/reference.js';
import { ConflictError, ValidationError } from '../../shared/errors.js';
import { SimulatedClock } from '../../shared/clock.js';
import { predict, type PredictDeps } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { storedResultsSource, syncResults } from '../../shared/lifecycle/sync-results.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { addResults, buildSeason, raceNamed, registerModel } from '../helpers/builders.js';

const policy: FreezePolicy = { kind: 'post_qualifying' };

/** A repository with a small 2024 season (qualifying stored) and predict's dependencies over it, the clock at `now`. */
async function setup(now = '2024-01-01T00:00:00Z') {
  const repo = createMemoryRepository();
  const season = await buildSeason(repo);
  const clock = new SimulatedClock(new Date(now));
  const deps: PredictDeps = { repo, clock, policy, forecaster: async () => new QualifyingOrderForecaster(repo) };
  return { repo, season, clock, deps };
}

describe('the freeze window', () => {
  const race: Race = {
    id: 1, season: 2024, round: 8, circuitId: 1, name: 'Monaco Grand Prix', url: null,
    sessions: { race: { date: '2024-05-26', time: '13:00:00' }, qualifying: { date: '2024-05-25', time: '14:00:00' } },
  };
  it('post_qualifying allows the freeze 90 minutes after qualifying starts', () => {
    expect(freezeWindow(race, { kind: 'post_qualifying' }).allowedAt.toISOString()).toBe('2024-05-25T15:30:00.000Z');
  });
  it('t_minus allows it N minutes before the race', () => {
    const w = freezeWindow(race, { kind: 't_minus', minutes: 45 });
    expect(w.allowedAt.toISOString()).toBe('2024-05-26T12:15:00.000Z');
    expect(w.sessionType).toBe('pre_race');
  });
  it('pre_weekend allows it N hours before first practice, or two days before race day when practice is not on record', () => {
    const weekend = { ...race, sessions: { ...race.sessions, fp1: { date: '2024-05-24', time: '11:30:00' } } };
    const w = freezeWindow(weekend, { kind: 'pre_weekend', hours: 24 });
    expect(w.allowedAt.toISOString()).toBe('2024-05-23T11:30:00.000Z');
    expect(w.sessionType).toBe('pre_weekend');
    expect(freezeWindow(race, { kind: 'pre_weekend', hours: 6 }).allowedAt.toISOString()).toBe('2024-05-23T18:00:00.000Z');
  });
  it('stores each policy as its kind and minutes, and keys it by both', () => {
    const policies: FreezePolicy[] = [{ kind: 'post_qualifying' }, { kind: 't_minus', minutes: 45 }, { kind: 'pre_weekend', hours: 24 }];
    expect(policies.map(policyKey)).toEqual(['post_qualifying', 't_minus:45', 'pre_weekend:1440']);
    expect(policies.map((p) => storedPolicy(p.kind, policyMinutes(p)))).toEqual(policies);
  });
  it('with only a qualifying date, waits for the end of that day', () => {
    const old = { ...race, sessions: { race: { date: '2004-05-23', time: null }, qualifying: { date: '2004-05-22', time: null } } };
    expect(freezeWindow(old, { kind: 'post_qualifying' }).allowedAt.toISOString()).toBe('2004-05-23T00:00:00.000Z');
  });
  it('a listing says waiting before the window, open until the start, missed after it, frozen once there is an official snapshot', () => {
    const w = freezeWindow(race, policy);
    const at = (iso: string) => new Date(iso);
    expect(freezeStatus(w, at('2024-05-25T15:29:59Z'), false)).toBe('waiting');
    expect(freezeStatus(w, at('2024-05-25T15:30:00Z'), false)).toBe('open');
    expect(freezeStatus(w, at('2024-05-26T12:59:59Z'), false)).toBe('open');
    expect(freezeStatus(w, at('2024-05-26T13:00:00Z'), false)).toBe('missed');
    expect(freezeStatus(w, at('2024-05-25T00:00:00Z'), true)).toBe('frozen');
  });
});

describe('freezing a forecast', () => {
  it('refuses before the policy allows it, says from when, and stores nothing', async () => {
    const { repo, season, clock, deps } = await setup();
    const { allowedAt } = freezeWindow(raceNamed(season, 'Monaco'), policy);
    clock.set(new Date(allowedAt.getTime() - 60_000));
    const err = await predict(deps, { year: 2024, race: 'monaco grand prix' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).details).toMatchObject({ allowedAt: allowedAt.toISOString(), policy: 'post_qualifying' });
    expect(await repo.predictions.count()).toBe(0);
  });

  it('freezes once per race and model at the policy instant; later calls return that snapshot', async () => {
    const { repo, season, clock, deps } = await setup();
    const monaco = raceNamed(season, 'Monaco');
    const { allowedAt } = freezeWindow(monaco, policy);
    clock.set(allowedAt);
    const first = await predict(deps, { year: 2024, race: 'Monaco' });
    expect(first.created).toBe(true);
    const p = first.prediction;
    expect(p).toMatchObject({ raceId: monaco.id, status: 'frozen', kind: 'forecast', official: true, sessionType: 'qualifying', modelVersion: 'qualifying-order-v1', clock: 'simulated' });
    expect(p.createdAt).toEqual(allowedAt);
    expect(p.snapshotAt).toEqual(allowedAt);
    expect(p.inputsHash).toMatch(/^[0-9a-f]{64}$/);
    // The qualifying order is the forecast; each entry's median is its slot.
    expect(p.entries.map((e) => e.driverId)).toEqual(season.drivers);
    expect(p.entries.map((e) => e.medianPosition)).toEqual([1, 2, 3, 4, 5, 6]);

    clock.set(new Date(allowedAt.getTime() + 3600_000));
    const again = await predict(deps, { year: 2024, race: 'MONACO' });
    expect(again.created).toBe(false);
    expect(again.prediction).toEqual(p);
    expect(await repo.predictions.count()).toBe(1);
  });

  it('a late freeze sees no more than a timely one: features as of the policy instant, not now', async () => {
    const { season, clock, deps } = await setup();
    const race = raceNamed(season, 'Bahrain');
    const { allowedAt, raceStartsAt } = freezeWindow(race, policy);
    const asked: (Date | undefined)[] = [];
    clock.set(new Date(raceStartsAt.getTime() - 60_000));
    const base = new QualifyingOrderForecaster(deps.repo);
    const { prediction } = await predict({ ...deps, forecaster: async (at) => (asked.push(at), { version: base.version, forecast: (id, asOf) => (asked.push(asOf), base.forecast(id, asOf)) }) }, { year: 2024, race: '1' });
    expect(asked).toEqual([allowedAt, allowedAt]);
    expect(prediction.snapshotAt).toEqual(allowedAt);
    expect(prediction.createdAt).toEqual(clock.now());
  });

  it("stores the pre-race strategy forecast with every entry, asked once for the race", async () => {
    const { repo, season, clock, deps } = await setup();
    const saudi = raceNamed(season, 'Saudi');
    clock.set(freezeWindow(saudi, policy).allowedAt);
    const asked: number[] = [];
    const strategy = { method: 'pre-race history', totalLaps: 50, stops: 2, firstStopLap: { SOFT: 14, MEDIUM: 19 } };
    const { prediction } = await predict({ ...deps, strategy: async (race) => (asked.push(race.id), strategy) }, { year: 2024, race: 'Saudi Arabian GP' });
    expect(asked).toEqual([saudi.id]);
    expect(prediction.entries.map((e) => e.strategy)).toEqual(season.drivers.map(() => strategy));
    expect((await repo.predictions.byId(prediction.id))!.entries.map((e) => e.strategy)).toEqual(season.drivers.map(() => strategy));
  });

  it('refuses a race with no qualifying classification stored yet, storing nothing', async () => {
    const repo = createMemoryRepository();
    const season = await buildSeason(repo, { qualifying: false });
    const clock = new SimulatedClock(freezeWindow(season.races[0]!, policy).allowedAt);
    const err = await predict({ repo, clock, policy, forecaster: async () => new QualifyingOrderForecaster(repo) }, { year: 2024, race: '1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/no qualifying classification .* Bahrain Grand Prix 2024/);
    expect(await repo.predictions.count()).toBe(0);
  });

  it('refuses seasons before 2014, which its models and backtest do not cover', async () => {
    const { deps } = await setup();
    const err = await predict(deps, { year: 1990, race: '1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toBe('pitwall forecasts races from 2014 on (its models and their backtest start there); 1990 is earlier');
  });
});

describe('which snapshot counts', () => {
  it('the first valid forecast of a race is official; a later model’s and a retrospective one are not, and only the official one is scored', async () => {
    const { repo, season, clock, deps } = await setup();
    const race = raceNamed(season, 'Spanish');
    clock.set(freezeWindow(race, policy).allowedAt);
    const first = await predict(deps, { year: 2024, race: 'Spain' });
    await registerModel(repo, 'net-through-2023', 2023);
    const later = await predict({ ...deps, forecaster: async () => ({ version: 'net-through-2023', forecast: (id, at) => new QualifyingOrderForecaster(repo).forecast(id, at) }) }, { year: 2024, race: 'Spain' });
    expect([first.prediction.official, later.prediction.official]).toEqual([true, false]);

    clock.set(new Date('2025-01-01T00:00:00Z'));
    const late = await predict(deps, { year: 2024, race: 'Spain', retrospective: true });
    expect(late).toMatchObject({ created: true, prediction: { kind: 'retrospective', official: false } });
    expect(late.prediction.warnings.join(' ')).toMatch(/retrospective: frozen after the race start/);
    // A plain freeze after the start gets the official forecast back, not a new snapshot.
    expect(await predict(deps, { year: 2024, race: 'Spain' })).toEqual({ prediction: first.prediction, created: false });
    expect(await repo.predictions.count(race.id)).toBe(3);

    await addResults(repo, season, race, season.drivers);
    const synced = await syncResults({ repo, source: storedResultsSource(repo), policy }, { year: 2024, race: 'Spain' });
    expect(synced.evaluation!.predictionId).toBe(first.prediction.id);
    expect(await repo.evaluations.count(race.id)).toBe(1);
    expect(await repo.evaluations.byPrediction(later.prediction.id)).toBeUndefined();
    expect(await repo.evaluations.byPrediction(late.prediction.id)).toBeUndefined();
  });

  it('refuses a plain freeze after the start when no forecast was frozen, saying how to get a retrospective one', async () => {
    const { repo, deps } = await setup('2025-01-01T00:00:00Z');
    const err = await predict(deps, { year: 2024, race: 'Monaco' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/Monaco Grand Prix 2024 started at 2024-03-17T13:00:00.000Z .* retrospective=true/);
    expect(await repo.predictions.count()).toBe(0);
  });

  it('a model that has seen data from the freeze instant on cannot freeze a forecast; the database rule reaches the caller', async () => {
    const { repo, season, clock, deps } = await setup();
    const race = raceNamed(season, 'Monaco');
    clock.set(freezeWindow(race, policy).allowedAt);
    await registerModel(repo, 'net-through-2024', 2024);
    const forecaster = async () => ({ version: 'net-through-2024', forecast: (id: number, at: Date) => new QualifyingOrderForecaster(repo).forecast(id, at) });
    await expect(predict({ ...deps, forecaster }, { year: 2024, race: 'Monaco' })).rejects.toThrow(/has seen data through .* only make a retrospective/);
    expect(await repo.predictions.count()).toBe(0);
  });
});
