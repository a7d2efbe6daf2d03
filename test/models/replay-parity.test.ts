import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../shared/app/dev-server.js';
import { currentForecaster } from '../../shared/app/forecaster.js';
import { createArtifactStore } from '../../shared/artifacts/create-store.js';
import { reportOf, runBacktest, taskSeasons, type BacktestPart, type BacktestResult } from '../../shared/training/backtest.js';
import { pointMetrics } from '../../shared/evaluation/score-race.js';
import { SimulatedClock } from '../../shared/clock.js';
import { replaySeason, type ReplayReport } from '../../shared/lifecycle/replay.js';
import { silentLogger } from '../../shared/log/logger.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { trainRaceModel } from '../../shared/training/train-race-job.js';
import { appOver } from '../api/stack.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';

const data = requireData();
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;
// Small windows and few epochs: the same settings on both paths is what is under test.
const fit = { epochs: 30, samples: 1000 };
const settings = { trainSeasons: 2, warmupSeasons: 1 };
const RACES = 3;

describe.skipIf(data.skip)(`production path = backtest (${backend.name})`, () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let repo: Repository;
  let tmp: string;
  let backtest: BacktestResult;
  let replay: ReplayReport;

  beforeAll(async () => {
    await setupTensorflow({ prefer: 'wasm' });
    db = await backend.open();
    repo = createRepository(db.knex);
    await loadSeasons(repo, [2019, 2020, 2021, 2022, 2023]);
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-parity-'));
    backtest = await runBacktest(await repo.history.load({}), { fromSeason: 2023, toSeason: 2023, ...settings, racesPerSeason: RACES, fit, resamples: 10 });

    // Production: the training job before the season, then freeze → sync → update race by race.
    const app = appOver(db, { ARTIFACT_STORE_URI: path.join(tmp, 'artifacts') });
    const store = await createArtifactStore(app.config.artifactStoreUri);
    await trainRaceModel({ repo, store, logger: silentLogger, progress: () => ({ tick: () => {}, stop: () => {} }) }, { ...settings, toSeason: 2022, fit });
    const clock = new SimulatedClock(new Date('2023-01-01T00:00:00Z'));
    const server = await startDevServer({ app, clock, port: 0, forecaster: currentForecaster(app, { trainedBefore: 2023 }) });
    try {
      const races = (await repo.races.listSeason(2023)).slice(0, RACES);
      replay = await replaySeason({ baseUrl: server.url, clock, policy: { kind: 'post_qualifying' }, races }, 2023);
    } finally {
      await server.close();
    }
  }, 600_000);
  afterAll(async () => {
    await db?.close();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('each freeze uses the version the backtest used then: the season network, then one update per synced race', async () => {
    const versions = await Promise.all(replay.races.map(async (r) => (await repo.predictions.byId(r.predictionId!))!.modelVersion));
    const base = versions[0]!;
    expect(base).toMatch(/^race-/);
    expect(versions.slice(1)).toEqual([`${base}+2023r01`, `${base}+2023r02`]);
  });

  it('the frozen forecasts are the backtest’s, driver by driver, and are scored the same', async () => {
    for (const [i, row] of replay.races.entries()) {
      const frozen = (await repo.predictions.byId(row.predictionId!))!;
      const expected = new Map(backtest.forecasts.model[i]!.drivers.map((d) => [d.driverId, d]));
      expect(frozen.entries).toHaveLength(expected.size);
      for (const e of frozen.entries) {
        const b = expected.get(e.driverId)!;
        expect(e.pWin).toBeCloseTo(b.pWin, 9);
        expect(e.pPodium).toBeCloseTo(b.pPodium, 9);
        expect(e.pDnf).toBeCloseTo(b.pDnf, 9);
        expect(e.medianPosition).toBe(b.medianPosition);
      }
      const scored = pointMetrics([backtest.scored.model[i]!]);
      expect(row.brierWin).toBeCloseTo(scored.brierWin!, 9);
      expect(row.positionMae).toBeCloseTo(scored.positionMae!, 9);
    }
  });

  it('the backtest split over Cloud Run tasks (one block of seasons each) merges into the one-process report', async () => {
    const history = await repo.history.load({});
    const opts = { ...settings, racesPerSeason: 2, fit, resamples: 20 };
    const whole = await runBacktest(history, { fromSeason: 2022, toSeason: 2023, ...opts });
    const blocks = [0, 1].map((i) => taskSeasons(2022, 2023, i, 2)!);
    expect(blocks).toEqual([{ from: 2022, to: 2022 }, { from: 2023, to: 2023 }]);
    const parts: BacktestPart[] = [];
    for (const b of blocks) parts.push((await runBacktest(history, { fromSeason: b.from, toSeason: b.to, ...opts })).part);
    const merged = reportOf(JSON.parse(JSON.stringify(parts.reverse())), opts.resamples);
    expect(merged.races).toBe(4);
    expect(merged.model.pooled).toEqual(whole.report.model.pooled);
    expect(merged.baselines.slotLookup.bySeason).toEqual(whole.report.baselines.slotLookup.bySeason);
    expect(() => reportOf([parts[0]!, { ...parts[0]!, fromSeason: 2025, toSeason: 2025 }])).toThrow(/do not cover the seasons/);
  }, 120_000);

  it('a freeze never uses a version that has learnt a race starting at or after it', async () => {
    const app = appOver(db, { ARTIFACT_STORE_URI: path.join(tmp, 'artifacts') });
    const race = (await repo.races.bySeasonRound(2023, 2))!;
    const freezeAt = backtest.forecasts.model[1]!.asOf;
    // The latest version has learnt round 2 itself: round 2's freeze gets the version before it.
    expect((await currentForecaster(app)()).version).toMatch(/\+2023r03$/);
    expect((await currentForecaster(app)(freezeAt)).version).toMatch(/\+2023r01$/);
    expect(race.id).toBe(backtest.forecasts.model[1]!.raceId);
  });
});
