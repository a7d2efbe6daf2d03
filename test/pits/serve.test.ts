import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalFolderStore } from '../../shared/artifacts/local-folder-store.js';
import type { Database } from '../../shared/db/connect.js';
import { silentLogger } from '../../shared/log/logger.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { buildWindows } from '../../shared/pits/dataset.js';
import { buildSequences, featureNames } from '../../shared/pits/features.js';
import { buildPitModel, fitPitModel, serializePitModel, type PitModelArtifact } from '../../shared/pits/model.js';
import { forecastAtLap, forecastAtLatestLaps, pitsFunction, pitTimeline, type LoadedPitModel, type PitForecastResponse, type PitTimelineResponse } from '../../shared/pits/serve.js';
import { createPitModelRegistry, type PitModelRegistry } from '../../shared/pits/registry.js';
import { createPitModelSource } from '../../shared/pits/train.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { routesCaller } from '../helpers/call.js';
import type { HttpRequest } from '../../shared/http/handler.js';
import { seedRace, TOTAL } from './seed.js';
import { fourCars, syntheticRace } from './synthetic-race.js';

const options = { window: 5, units: 4, hidden: 4 };

async function tinyArtifact(): Promise<PitModelArtifact> {
  const set = buildWindows(buildSequences(syntheticRace({ totalLaps: TOTAL, scLap: 10, cars: fourCars })), options.window);
  const model = buildPitModel(options);
  await fitPitModel(model, set, { epochs: 1, batchSize: 32 });
  const artifact = await serializePitModel(model, { options, featureNames: [...featureNames], threshold: 0.2, trainedOn: { seasons: [2024], rows: set.n, positives: 4 } });
  model.dispose();
  return artifact;
}

describe('pit timeline lap numbering', () => {
  let loaded: LoadedPitModel;
  const race = syntheticRace({ totalLaps: TOTAL, scLap: 10, cars: fourCars });
  const cellsOf = (timeline: Awaited<ReturnType<typeof pitTimeline>>, driverId: number) => timeline.find((d) => d.driverId === driverId)!.laps;

  beforeAll(async () => {
    await setupTensorflow({ prefer: 'wasm' });
    // Untrained weights do: these tests are about which lap a probability belongs to.
    loaded = { version: 'pit-test', model: buildPitModel(options), window: options.window, threshold: 0.2 };
  });
  afterAll(() => loaded?.model.dispose());

  it('labels each cell with the lap at whose end the car may box, 2..totalLaps, forecast from the laps before it', async () => {
    const timeline = await pitTimeline(loaded, race);
    expect(timeline.map((d) => d.driverId).sort()).toEqual([1, 2, 3, 4]);
    for (const d of timeline) {
      expect(d.lastLap).toBe(TOTAL);
      expect(d.laps.map((c) => c.lap)).toEqual(Array.from({ length: TOTAL - 1 }, (_, i) => i + 2));
      for (const c of d.laps) expect(c.forecastAfterLap).toBe(c.lap - 1);
    }
    // The stop markers sit on the laps the cars came in at the end of.
    expect(cellsOf(timeline, 3).filter((c) => c.pitted).map((c) => c.lap)).toEqual([8, 20]);
    expect(cellsOf(timeline, 1).filter((c) => c.pitted).map((c) => c.lap)).toEqual([12]);
    expect(cellsOf(timeline, 4).some((c) => c.pitted)).toBe(false);
  });

  it("gives the cell of lap L the forecast made after lap L−1 for the end of lap L", async () => {
    const timeline = await pitTimeline(loaded, race);
    const at11 = forecastAtLap(loaded, race, 11).find((f) => f.driverId === 2)!;
    expect(cellsOf(timeline, 2).find((c) => c.lap === 12)!.pPit).toBe(at11.withinLaps['1']);
  });

  it('yields to the event loop between model calls, so other requests run while a timeline is computed', async () => {
    let pauses = 0;
    await pitTimeline(loaded, race, new Map(), async () => void pauses++);
    // 4 cars × 29 laps = 116 windows: a turn after the sequences are built and before each call of 64+ windows (2).
    expect(pauses).toBe(1 + 2);
    let done = false;
    const computing = pitTimeline(loaded, race).then(() => (done = true));
    const ranDuring = await new Promise<boolean>((resolve) => setImmediate(() => resolve(!done)));
    expect(ranDuring).toBe(true);
    await computing;
  });

  it('forecasts every car at the last lap it completed when the field is spread over laps (live)', () => {
    const spread = { ...race, laps: race.laps.filter((l) => l.lap <= (l.driverId === 4 ? 11 : 12)) };
    const latest = forecastAtLatestLaps(loaded, spread);
    expect(latest.map((f) => [f.driverId, f.lap]).sort((a, b) => a[0]! - b[0]!)).toEqual([[1, 12], [2, 12], [3, 12], [4, 11]]);
    const car4 = forecastAtLap(loaded, spread, 11).find((f) => f.driverId === 4)!;
    expect(latest.find((f) => f.driverId === 4)!.withinLaps).toEqual(car4.withinLaps);
  });

  it('has no cell after the last lap of a car that retired', async () => {
    const retired = { ...race, laps: race.laps.filter((l) => l.driverId !== 4 || l.lap <= 10) };
    const timeline = await pitTimeline(loaded, retired);
    const car4 = timeline.find((d) => d.driverId === 4)!;
    expect(car4.lastLap).toBe(10);
    expect(car4.laps.map((c) => c.lap)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(cellsOf(timeline, 1).at(-1)!.lap).toBe(TOTAL);
  });

  it('caps a car at the laps its classification credits, and the field at the race distance', async () => {
    // Source laps past the classified ones (a lap-1 retiree's laps renumbered with the field's).
    const timeline = await pitTimeline(loaded, { ...race, totalLaps: TOTAL - 2 }, new Map([[1, 5], [2, 0]]));
    expect(cellsOf(timeline, 1).map((c) => c.lap)).toEqual([2, 3, 4, 5]);
    expect(timeline.find((d) => d.driverId === 2)).toMatchObject({ lastLap: 0, laps: [] });
    expect(cellsOf(timeline, 3).at(-1)!.lap).toBe(TOTAL - 2);
  });
});

for (const backend of backends) {
  describe.skipIf(backend.skip)(`pits endpoint on ${backend.name}`, () => {
    let db: Database;
    let repo: Repository;
    let raceId: number;
    let artifact: PitModelArtifact;
    let dir: string;
    let registry: PitModelRegistry;
    const call = (req: Partial<HttpRequest>) =>
      routesCaller(pitsFunction({ repo, logger: silentLogger, models: createPitModelSource(registry) }))(req);

    // One database with the race and the published pit model, which every test but the first reads.
    beforeAll(async () => {
      await setupTensorflow({ prefer: 'wasm' });
      db = await backend.open();
      repo = createRepository(db.knex);
      raceId = await seedRace(repo);
      artifact = await tinyArtifact();
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pits-artifacts-'));
      registry = createPitModelRegistry({ artifacts: createLocalFolderStore(dir), versions: repo.modelVersions, now: () => new Date('2024-03-03T12:00:00Z') });
      await registry.publish(artifact, { threshold: artifact.threshold });
    });
    afterAll(async () => {
      await db?.close();
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    });

    it('answers 503 until a pit model has been trained, then serves the published version', async () => {
      // The shared database has the model beforeAll published: this test takes it away (no pit model
      // trained yet), and its own publish puts the same version back for the other tests.
      await db.knex('model_versions').where({ kind: 'pit' }).delete();
      try {
        const res = await call({ path: `/${raceId}`, query: { lap: '12' } });
        expect(res.status).toBe(503);
        const { version } = await registry.publish(artifact, { threshold: artifact.threshold });
        expect(version).toBe('pit-20240303T120000Z');
        const row = await repo.modelVersions.latest('pit');
        expect(row).toMatchObject({ kind: 'pit', version, dataFromSeason: 2024, dataToSeason: 2024 });
        expect(row!.artifactUri).toMatch(/^file:\/\/.*pit-model\.json$/);
        expect(await repo.modelVersions.latest('race')).toBeUndefined();
        const served = await call({ path: `/${raceId}`, query: { lap: '12' } });
        expect(served.status).toBe(200);
        expect(served.body).toMatchObject({ raceId, modelVersion: version });
      } finally {
        if (!(await repo.modelVersions.latest('pit'))) await registry.publish(artifact, { threshold: artifact.threshold });
      }
    });

    it('refuses a stored pit model built on an older feature list with 503 and what to run', async () => {
      await db.knex('model_versions').where({ kind: 'pit' }).delete();
      try {
        await registry.publish({ ...artifact, featureNames: artifact.featureNames.slice(0, 32) }, { threshold: artifact.threshold });
        const res = await call({ path: `/${raceId}`, query: { lap: '12' } });
        expect(res.status).toBe(503);
        expect(JSON.stringify(res.body)).toContain('pit model predates the current features; run npx pitwall train');
      } finally {
        await db.knex('model_versions').where({ kind: 'pit' }).delete();
        await registry.publish(artifact, { threshold: artifact.threshold });
      }
    });

    it("gives every running driver's chance of pitting within 1, 3 and 5 laps at lap N, with the model version", async () => {
      const res = await call({ path: `/${raceId}`, query: { lap: '12' } });
      expect(res.status).toBe(200);
      const body = res.body as PitForecastResponse;
      expect(body).toMatchObject({ raceId, lap: 12, modelVersion: 'pit-20240303T120000Z' });
      expect(body.drivers).toHaveLength(4);
      for (const d of body.drivers) {
        const p = d.withinLaps;
        expect(p['1']).toBeGreaterThan(0);
        expect(p['5']).toBeLessThan(1);
        expect(typeof d.alarm).toBe('boolean');
      }
    });

    it('names every driver beside the numeric id, and keeps the timeline within the race distance', async () => {
      const atLap = (await call({ path: `/${raceId}`, query: { lap: '12' } })).body as PitForecastResponse;
      expect(atLap.drivers.map((d) => d.name).sort()).toEqual(['A Driver 1', 'A Driver 2', 'A Driver 3', 'A Driver 4']);
      const res = await call({ path: `/${raceId}/timeline` });
      expect(res.status).toBe(200);
      const body = res.body as PitTimelineResponse;
      expect(body.totalLaps).toBe(TOTAL);
      expect(body.drivers.map((d) => [d.finish, d.name, d.status])).toEqual([1, 2, 3, 4].map((i) => [i, `A Driver ${i}`, 'Finished']));
      const laps = body.drivers.flatMap((d) => d.laps.map((c) => c.lap));
      expect(Math.min(...laps)).toBe(2);
      expect(Math.max(...laps)).toBe(TOTAL);
    });

    it("uses only what was known at each car's decision point: laps after N+1 in the database change nothing", async () => {
      const before = (await call({ path: `/${raceId}`, query: { lap: '8' } })).body as PitForecastResponse;
      // The other tests read these laps: they are put back afterwards.
      const later = await db.knex('laps').where({ race_id: raceId }).where('lap', '>', 9).select('id', 'race_id', 'driver_id', 'lap', 'time_ms', 'track_status', 'compound');
      try {
        await db.knex('laps').where({ race_id: raceId }).where('lap', '>', 9).update({ time_ms: 150_000, track_status: '4', compound: 'WET' });
        const after = (await call({ path: `/${raceId}`, query: { lap: '8' } })).body as PitForecastResponse;
        expect(after.drivers).toEqual(before.drivers);
      } finally {
        await db.knex('laps').insert(later).onConflict('id').merge(['time_ms', 'track_status', 'compound']);
      }
    });

    it('answers a live race from the laps in the request body', async () => {
      const stored = await repo.reference.laps(raceId);
      const results = await repo.reference.results(raceId);
      const body = {
        lap: 8,
        raceId,
        totalLaps: TOTAL,
        teams: Object.fromEntries(results.map((r) => [String(r.driverId), r.constructorId])),
        laps: stored
          .filter((l) => l.lap <= 8)
          .map((l) => ({ driverId: l.driverId, lap: l.lap, position: l.position, timeMs: l.timeMs, compound: l.compound, stint: l.stint, tyreLife: l.tyreLife, trackStatus: l.trackStatus, pitIn: l.pitIn, pitOut: l.pitOut })),
      };
      const live = await call({ method: 'POST', body });
      expect(live.status).toBe(200);
      const fromDb = (await call({ path: `/${raceId}`, query: { lap: '8' } })).body as PitForecastResponse;
      expect((live.body as PitForecastResponse).drivers).toEqual(fromDb.drivers);
    });

    it('rejects bad input with 400 and unknown races with 404', async () => {
      expect((await call({ path: `/${raceId}`, query: {} })).status).toBe(400);
      expect((await call({ path: `/${raceId}`, query: { lap: 'ten' } })).status).toBe(400);
      expect((await call({ path: `/${raceId}`, query: { lap: '99' } })).status).toBe(400);
      expect((await call({ path: '/abc', query: { lap: '3' } })).status).toBe(400);
      expect((await call({ method: 'POST', body: { lap: 3, totalLaps: 30, laps: [{ driverId: 1, lap: 0 }] } })).status).toBe(400);
      expect((await call({ method: 'POST', body: { lap: 3 } })).status).toBe(400);
      expect((await call({ method: 'POST', body: { lap: 3, raceId: 999999, totalLaps: 30, laps: [{ driverId: 1, lap: 1 }] } })).status).toBe(404);
      const missing = await call({ path: '/999999', query: { lap: '3' } });
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error: { code: 'not_found' } });
      expect((await call({ method: 'DELETE', path: `/${raceId}` })).status).toBe(405);
    });
  });
}
