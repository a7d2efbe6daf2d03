import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactStore } from '../../shared/artifacts/create-store.js';
import type { RaceForecast } from '../../shared/domain/forecast.js';
import { runBacktest, type BacktestResult } from '../../shared/training/backtest.js';
import { raceMetrics } from '../../shared/evaluation/score-race.js';
import { postQualifyingFreeze } from '../../shared/domain/history.js';
import { featureNames } from '../../shared/features/race-features.js';
import { silentLogger } from '../../shared/log/logger.js';
import { baselineKinds } from '../../shared/models/race/baselines.js';
import { artifactKeyOf, createBaselineForecaster, createRaceForecaster } from '../../shared/models/race/forecaster.js';
import { loadPooledRaceModel } from '../../shared/models/race/pool-artifacts.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { trainRaceModel } from '../../shared/training/train-race-job.js';
import { backends } from '../helpers/databases.js';
import { startFakeGcs, type FakeGcs } from '../helpers/fake-gcs.js';
import { requireData } from '../helpers/settings.js';
import { loadSeasons } from '../helpers/dump-seasons.js';

const data = requireData();
// One backend is enough here (the repository is covered on both elsewhere): PostgreSQL when available.
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;
const fit = { epochs: 60, samples: 2000 };
const noProgress = () => ({ tick: () => {}, stop: () => {} });

function expectCoherent(f: RaceForecast): void {
  const n = f.drivers.length;
  const sum = (k: 'pWin' | 'pPodium' | 'pPoints') => f.drivers.reduce((s, d) => s + d[k], 0);
  expect(sum('pWin')).toBeCloseTo(1, 6);
  expect(sum('pPodium')).toBeCloseTo(Math.min(3, n), 6);
  expect(sum('pPoints')).toBeCloseTo(Math.min(10, n), 6);
  expect(f.drivers.map((d) => d.predictedPosition).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  for (const d of f.drivers) {
    expect(d.pDnf).toBeGreaterThan(0);
    expect(d.pDnf).toBeLessThan(1);
    expect(d.gapLowSeconds).toBeLessThanOrEqual(d.gapHighSeconds);
    expect(d.medianPosition).toBeGreaterThanOrEqual(1);
    expect(d.medianPosition).toBeLessThanOrEqual(n);
    expect(d.featureCoverage).toBeCloseTo(1 - d.imputedCount / featureNames.length, 10);
  }
}

describe.skipIf(data.skip)(`race model on real data (${backend.name})`, () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let repo: Repository;
  let fake: FakeGcs;
  let tmp: string;
  let result: BacktestResult;

  beforeAll(async () => {
    await setupTensorflow({ prefer: 'wasm' });
    db = await backend.open();
    repo = createRepository(db.knex);
    await loadSeasons(repo, [2020, 2021, 2022, 2023]);
    fake = await startFakeGcs();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-train-'));
    // Small walk-forward window: 2023's first races by a model trained on 2021–2022.
    result = await runBacktest(await repo.history.load({}), { fromSeason: 2023, toSeason: 2023, trainSeasons: 2, warmupSeasons: 1, racesPerSeason: 4, fit, resamples: 100 });
  }, 300_000);
  afterAll(async () => {
    await db?.close();
    await fake?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  /** Removes every registered version and training run: the state a training job's test starts from. */
  async function withNoTrainingRecorded(): Promise<void> {
    await db.knex('model_versions').del();
    await db.knex('training_runs').del();
    expect(await repo.modelVersions.latest('race')).toBeUndefined();
  }

  it('backtest: every race forecast at its post-qualifying freeze, coherent, scored beside the baselines', () => {
    const { report, forecasts } = result;
    expect(report.races).toBe(4);
    forecasts.model.forEach((f, i) => {
      expectCoherent(f);
      expect(f.modelVersion).toBe(`backtest-2023-r${i + 1}`);
    });
    // The pool learns every race's result before the next freeze: one more race each time.
    const seen = result.pools.map((p) => p.races);
    expect(seen.slice(1).map((n, i) => n - seen[i]!)).toEqual([1, 1, 1]);
    for (const k of baselineKinds) {
      expect(forecasts[k]).toHaveLength(4);
      forecasts[k].forEach(expectCoherent);
    }
    for (const metric of Object.keys(raceMetrics)) {
      const m = report.model.pooled[metric]!;
      expect(Number.isFinite(m.value), metric).toBe(true);
      expect(m.ciLow).toBeLessThanOrEqual(m.value + 1e-9);
      expect(m.ciHigh).toBeGreaterThanOrEqual(m.value - 1e-9);
      expect(report.baselines.gridOrder.pooled[metric], metric).toBeDefined();
    }
    expect(Object.keys(report.model.bySeason)).toEqual(['2023']);
    // A useful model on real data ranks far better than chance (Spearman 0).
    expect(report.model.pooled.spearman!.value).toBeGreaterThan(0.3);
    expect(report.network.temperatureBySeason['2023']).toBeGreaterThan(0);
  });

  it('baseline Forecasters read the database as of the freeze and are coherent', async () => {
    const race = (await repo.races.bySeasonRound(2023, 6))!;
    const asOf = postQualifyingFreeze((await repo.history.load({ fromSeason: 2023, toSeason: 2023 })).races.find((r) => r.id === race.id)!);
    for (const kind of baselineKinds) {
      const f = await createBaselineForecaster({ repo, kind }).forecast(race.id, asOf);
      expectCoherent(f);
      expect(f.asOf).toEqual(asOf);
    }
    const grid = await createBaselineForecaster({ repo, kind: 'gridOrder' }).forecast(race.id, asOf);
    const pole = (await db.knex('qualifying').where({ race_id: race.id, position: 1 }).first()) as { driver_id: number };
    expect(grid.drivers.find((d) => d.predictedPosition === 1)!.driverId).toBe(pole.driver_id);
    // Grid order's median is the grid slot; both slot baselines read the same slot distribution.
    const slots = new Map(((await db.knex('qualifying').where({ race_id: race.id })) as { driver_id: number; position: number }[]).map((q) => [q.driver_id, q.position]));
    for (const d of grid.drivers) expect(d.medianPosition).toBe(slots.get(d.driverId));
    const [median, lookup] = await Promise.all(
      (['slotMedian', 'slotLookup'] as const).map((kind) => createBaselineForecaster({ repo, kind }).forecast(race.id, asOf)),
    );
    expect(median!.drivers.map((d) => d.medianPosition)).toEqual(lookup!.drivers.map((d) => d.medianPosition));
  });

  it.each([
    ['local folder', () => createArtifactStore(path.join(tmp, 'artifacts'))],
    ['GCS', () => createArtifactStore('gs://pitwall-models/prod', { gcsApiEndpoint: fake.endpoint })],
  ])('training job → %s: artifacts, model_versions and training_runs rows, a loadable Forecaster', async (_n, open) => {
    // The loaded Forecaster is the latest registered version: it must be this test's. Both training
    // tests share the database, so each starts from one with no version or run registered, whichever
    // of them ran first (the backtest and the baselines read neither table).
    await withNoTrainingRecorded();
    const store = await open();
    const out = await trainRaceModel(
      { repo, store, logger: silentLogger, progress: noProgress, revision: 'abc1234def', now: () => new Date(`2025-01-0${_n === 'GCS' ? 2 : 1}T00:00:00Z`) },
      { trainSeasons: 3, fit },
    );
    expect(out.evaluationSeason).toBe(2023);
    const v = out.modelVersion;
    expect(v).toMatchObject({ kind: 'race', dataFromSeason: 2021, dataToSeason: 2023, codeRevision: 'abc1234def', trainingRunId: out.runId });
    expect(v.version).toMatch(/^race-2025010[12]T000000Z-abc1234$/);
    expect(v.dataSnapshot).toMatch(/latest-2023r22/);
    expect((v.metrics.model as Record<string, number>).positionMae).toBeGreaterThan(0);
    const run = await repo.modelVersions.runById(out.runId);
    expect(run).toMatchObject({ status: 'succeeded', error: null });
    expect(run!.durationMs).toBeGreaterThanOrEqual(0);
    const files = await store.list(`race/${v.version}/`);
    expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['model.json', 'weights.bin', 'feature-spec.json', 'normalisation.json', 'metrics.json', 'snapshot.json']));

    // Loaded as the functions load a registered version (app/forecaster.ts): its artifact folder, model and pool.
    const latest = (await repo.modelVersions.latest('race'))!;
    const registered = await loadPooledRaceModel(store, artifactKeyOf(store, latest.artifactUri));
    const forecaster = createRaceForecaster({ repo, version: latest.version, ...registered });
    expect(forecaster.version).toBe(v.version);
    // The version's pool has learnt every 2023 result: a 2023 freeze by it would have seen the outcome.
    expect((v.metrics.pool as { learntThrough: { season: number; round: number } }).learntThrough).toMatchObject({ season: 2023, round: 22 });
    const race = (await repo.races.bySeasonRound(2023, 10))!;
    await expect(forecaster.forecast(race.id, new Date('2023-07-08T18:00:00Z'))).rejects.toThrow(/has learnt the result of 2023 round 22/);
    // Its pool is the one the backtest starts 2024 from: 2023 (and the warm-up seasons before it), race by race.
    const { pool } = await loadPooledRaceModel(store, `race/${v.version}`);
    expect(pool!.network).toBe(`race/${v.version}`);
    const warmup = await Promise.all([2021, 2022, 2023].map((y) => repo.races.listSeason(y)));
    expect(pool!.learner.seen).toBe(warmup.flat().length);
  }, 240_000);

  it('a failed training run is recorded with its error and rethrown', async () => {
    const empty = await backend.open();
    try {
      const erepo = createRepository(empty.knex);
      const store = await createArtifactStore(path.join(tmp, 'never'));
      await expect(trainRaceModel({ repo: erepo, store, logger: silentLogger, progress: noProgress })).rejects.toThrow(/no complete season/);
      const [row] = await empty.knex('training_runs');
      expect(row).toMatchObject({ status: 'failed', kind: 'race' });
      expect(row.error).toMatch(/no complete season/);
      expect(await erepo.modelVersions.latest('race')).toBeUndefined();
    } finally {
      await empty.close();
    }
  });
});
