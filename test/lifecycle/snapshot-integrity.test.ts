import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../shared/app/dev-server.js';
import { SimulatedClock } from '../../shared/lifecycle/clock.js';
import type { NewPrediction } from '../../shared/domain/prediction.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { findRace, predict, type PredictDeps } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { replaySeason } from '../../shared/lifecycle/replay.js';
import { storedResultsSource, syncResults } from '../../shared/lifecycle/sync-results.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { appOver } from '../api/stack.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';

const data = requireData();
const policy = { kind: 'post_qualifying' } as const;

/** A race model registered as the training job registers one (the artifact is never loaded here). */
const register = (repo: Repository, version: string, toSeason: number, learntThroughRaceStart?: string) =>
  repo.modelVersions.register({
    kind: 'race', version, trainedAt: new Date('2025-01-01T00:00:00Z'), dataFromSeason: toSeason - 10, dataToSeason: toSeason, dataSnapshot: 'test',
    metrics: learntThroughRaceStart ? { pool: { learntThrough: { raceId: 1, season: toSeason + 1, round: 3, raceStart: learntThroughRaceStart } } } : {},
    artifactUri: `file:///nowhere/${version}`, codeRevision: null, trainingRunId: null,
  });

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`which snapshot counts, enforced by the database, on ${backend.name}`, () => {
    let db: Awaited<ReturnType<typeof backend.open>>;
    let repo: Repository;
    const clock = new SimulatedClock(new Date('2024-01-01T00:00:00Z'));
    let deps: PredictDeps;

    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      await loadSeasons(repo, [2024]);
      deps = { repo, clock, policy, forecaster: async () => new QualifyingOrderForecaster(repo) };
    }, 120_000);
    afterAll(async () => db?.close());

    /** A valid snapshot of a race by the baseline, frozen at its policy instant. */
    const snapshotOf = async (race: string): Promise<NewPrediction> => {
      const r = await findRace(repo, { year: 2024, race });
      const { allowedAt } = freezeWindow(r, policy);
      const f = await new QualifyingOrderForecaster(repo).forecast(r.id, allowedAt);
      return {
        raceId: r.id, modelVersion: f.modelVersion, kind: 'forecast', clock: 'simulated', createdAt: allowedAt, freezePolicy: policy, snapshotAt: allowedAt,
        sessionType: 'qualifying', inputsHash: 'a'.repeat(64), confidence: 0.5, featureCoverage: 1, imputedCount: 0, warnings: [],
        entries: f.drivers.map((d) => ({ ...d, gapFlagged: false, strategy: null })),
      };
    };

    it('refuses a forecast by a model that has seen the race, or by one it does not know; a retrospective one is stored, never official', async () => {
      const monaco = await snapshotOf('Monaco');
      await register(repo, 'net-through-2024', 2024);
      // Trained before the season, but its pool learnt a race that started after Monaco's freeze.
      await register(repo, 'net-2023-pool-past-monaco', 2023, '2024-06-09T18:00:00Z');
      for (const modelVersion of ['net-through-2024', 'net-2023-pool-past-monaco']) {
        await expect(repo.withTransaction((t) => t.predictions.freeze({ ...monaco, modelVersion }))).rejects.toThrow(/has seen data through .* only make a retrospective/);
      }
      await expect(repo.withTransaction((t) => t.predictions.freeze({ ...monaco, modelVersion: 'never-registered' }))).rejects.toThrow(/neither a registered race model nor a baseline/);
      expect(await repo.predictions.count()).toBe(0);
      const { prediction } = await repo.withTransaction((t) => t.predictions.freeze({ ...monaco, modelVersion: 'net-through-2024', kind: 'retrospective' }));
      expect(prediction).toMatchObject({ kind: 'retrospective', official: false });
      expect(await repo.predictions.officialRef(monaco.raceId, policy)).toBeUndefined();
    });

    it('refuses a forecast created at or after the race start, and one that stands for an instant after it', async () => {
      const bahrain = await snapshotOf('Bahrain');
      const start = freezeWindow(await findRace(repo, { year: 2024, race: 'Bahrain' }), policy).raceStartsAt;
      await expect(repo.withTransaction((t) => t.predictions.freeze({ ...bahrain, createdAt: start }))).rejects.toThrow(/can only be stored as retrospective/);
      await expect(repo.withTransaction((t) => t.predictions.freeze({ ...bahrain, kind: 'retrospective', snapshotAt: new Date(start.getTime() + 1) }))).rejects.toThrow(/after the race start/);
      // The wall clock cannot be claimed: the database writes its own time, so a 2024 race frozen
      // "on the wall clock" now is after its start.
      await expect(repo.withTransaction((t) => t.predictions.freeze({ ...bahrain, clock: 'wall' }))).rejects.toThrow(/can only be stored as retrospective/);
      const { prediction } = await repo.withTransaction((t) => t.predictions.freeze({ ...bahrain, clock: 'wall', kind: 'retrospective' }));
      expect(Math.abs(prediction.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(prediction.recordedAt.getTime()).toBe(prediction.createdAt.getTime());
    });

    it('records the real creation time beside the simulated one', async () => {
      const before = Date.now();
      const japan = await snapshotOf('Japan');
      const { prediction } = await repo.withTransaction((t) => t.predictions.freeze(japan));
      expect(prediction.clock).toBe('simulated');
      expect(prediction.createdAt.toISOString()).toBe(prediction.snapshotAt.toISOString());
      expect(prediction.recordedAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
      expect(prediction.official).toBe(true);
    });

    it('makes the first valid forecast of a race official, exactly one; later ones and retrospective ones are not, and cannot be scored', async () => {
      const china = await findRace(repo, { year: 2024, race: 'China' });
      clock.set(freezeWindow(china, policy).allowedAt);
      const first = await predict(deps, { year: 2024, race: 'China' });
      await register(repo, 'net-through-2023', 2023);
      const second = await predict({ ...deps, forecaster: async () => ({ version: 'net-through-2023', forecast: (id, at) => new QualifyingOrderForecaster(repo).forecast(id, at) }) }, { year: 2024, race: 'China' });
      expect([first.prediction.official, second.prediction.official]).toEqual([true, false]);
      clock.set(new Date('2025-01-01T00:00:00Z'));
      const late = await predict(deps, { year: 2024, race: 'China', retrospective: true });
      expect(late).toMatchObject({ created: true, prediction: { kind: 'retrospective', official: false } });
      expect(late.prediction.warnings.join(' ')).toMatch(/retrospective: frozen after the race start/);
      // A plain freeze after the start gets the official forecast back, not a new snapshot.
      expect((await predict(deps, { year: 2024, race: 'China' })).prediction.id).toBe(first.prediction.id);
      expect((await repo.predictions.officialRef(china.id, policy))!.id).toBe(first.prediction.id);
      const synced = await syncResults({ repo, source: storedResultsSource(repo), policy }, { year: 2024, race: 'China' });
      expect(synced.evaluation!.predictionId).toBe(first.prediction.id);
      expect(await repo.evaluations.count(china.id)).toBe(1);
      for (const p of [second.prediction, late.prediction]) {
        await expect(
          db.knex('evaluations').insert({ race_id: china.id, prediction_id: p.id, starters: 20, winner_correct: false, brier: '{}', log_loss: '{}', calibration_error: '{}', baseline: '{}' }),
        ).rejects.toThrow(/not the official snapshot/);
      }
      // Official is frozen with the snapshot: it cannot be handed to another.
      await expect(db.knex('predictions').where({ id: second.prediction.id }).update({ official: true })).rejects.toThrow(/frozen/);
    });

    it('refuses a plain freeze after the start when no forecast was frozen, saying how to get a retrospective one', async () => {
      clock.set(new Date('2025-01-01T00:00:00Z'));
      const err = await predict(deps, { year: 2024, race: 'Miami' }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/Miami Grand Prix 2024 started at .* retrospective=true/);
      const err1990 = await predict(deps, { year: 1990, race: '1' }).catch((e: unknown) => e);
      expect((err1990 as Error).message).toBe('pitwall forecasts races from 2014 on (its models and their backtest start there); 1990 is earlier');
    });
  });

  describe.skipIf(backend.skip || data.skip)(`8 retrospective freezes before a replay on ${backend.name}`, () => {
    const rounds = 8;
    const stacks: { db: Awaited<ReturnType<typeof backend.open>>; server: DevServer; clock: SimulatedClock }[] = [];
    afterAll(async () => {
      for (const s of stacks) {
        await s.server.close();
        await s.db.close();
      }
    });
    const stackWith2024 = async () => {
      const db = await backend.open();
      await loadSeasons(createRepository(db.knex), [2024]);
      const clock = new SimulatedClock(new Date('2026-12-01T00:00:00Z'));
      const server = await startDevServer({ app: appOver(db), clock, port: 0 });
      stacks.push({ db, server, clock });
      return { db, server, clock, repo: createRepository(db.knex) };
    };
    const get = async (server: DevServer, path: string) => (await fetch(`${server.url}${path}`)).json();

    it('leave the season scores, listings and model summaries exactly as a clean replay makes them', async () => {
      const clean = await stackWith2024();
      const dirty = await stackWith2024();
      // Long after the season (a user on a fresh start, today): labelled retrospective.
      for (let round = 1; round <= rounds; round++) {
        const res = await fetch(`${dirty.server.url}/predict?year=2024&race=${round}&retrospective=true`, { method: 'POST' });
        expect(res.status).toBe(201);
        expect(await res.json()).toMatchObject({ kind: 'retrospective', official: false, clock: 'simulated' });
      }
      const reports = [];
      for (const s of [clean, dirty]) {
        const races = (await s.repo.races.listSeason(2024)).slice(0, rounds);
        reports.push(await replaySeason({ baseUrl: s.server.url, clock: s.clock, policy, races }, 2024));
      }
      const [a, b] = reports as [Awaited<ReturnType<typeof replaySeason>>, Awaited<ReturnType<typeof replaySeason>>];
      const scores = (r: typeof a) => r.races.map(({ predictionId: _p, raceId: _r, ...rest }) => rest);
      expect(scores(b)).toEqual(scores(a));
      expect(b.totals).toEqual(a.totals);
      expect((a.totals as { races: number }).races).toBe(rounds);
      const [seasonA, seasonB] = [await get(clean.server, '/metrics/season/2024'), await get(dirty.server, '/metrics/season/2024')];
      const strip = (s: { races: { raceId: number }[] }) => ({ ...s, races: s.races.map(({ raceId: _r, ...rest }) => rest) });
      expect(strip(seasonB)).toEqual(strip(seasonA));
      expect((await get(dirty.server, '/models')).models).toEqual((await get(clean.server, '/models')).models);
      // Every read names the same, official, snapshot: the listing, the forecast, its score, the table.
      const listed = (await get(dirty.server, '/races?season=2024')).races.slice(0, rounds);
      for (const [i, race] of listed.entries()) {
        const forecast = await get(dirty.server, `/predictions/${race.id}`);
        const metrics = await get(dirty.server, `/metrics/${race.id}`);
        expect(forecast).toMatchObject({ id: race.predictionId, kind: 'forecast', official: true });
        expect(metrics.predictionId).toBe(race.predictionId);
        expect(b.races[i]!.predictionId).toBe(race.predictionId);
        const snapshots = (await get(dirty.server, `/predictions/${race.id}/snapshots`)).snapshots;
        expect(snapshots.map((s: { kind: string; official: boolean }) => `${s.kind}:${s.official}`)).toEqual(['retrospective:false', 'forecast:true']);
      }
    }, 240_000);
  });
}

