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
import { handlePits, type PitForecastResponse, type PitsRequest } from '../../shared/pits/serve.js';
import { createPitModelRegistry } from '../../shared/pits/registry.js';
import { createPitModelSource, type PitModelRegistry } from '../../shared/pits/train.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
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

for (const backend of backends) {
  describe.skipIf(backend.skip)(`pits endpoint on ${backend.name}`, () => {
    let db: Database;
    let repo: Repository;
    let raceId: number;
    let artifact: PitModelArtifact;
    let dir: string;
    let registry: PitModelRegistry;
    const call = (req: Partial<PitsRequest>) =>
      handlePits({ repo, logger: silentLogger, models: createPitModelSource(registry) }, { method: 'GET', path: '/', query: {}, body: undefined, ...req });

    beforeAll(async () => {
      await setupTensorflow({ prefer: 'wasm' });
      db = await backend.open();
      repo = createRepository(db.knex);
      raceId = await seedRace(repo);
      artifact = await tinyArtifact();
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pits-artifacts-'));
      registry = createPitModelRegistry({ artifacts: createLocalFolderStore(dir), versions: repo.modelVersions, now: () => new Date('2024-03-03T12:00:00Z') });
    });
    afterAll(async () => {
      await db?.close();
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    });

    it('answers 503 until a pit model has been trained, then serves the published version', async () => {
      const res = await call({ path: `/${raceId}`, query: { lap: '12' } });
      expect(res.status).toBe(503);
      const { version } = await registry.publish(artifact, { threshold: artifact.threshold });
      expect(version).toBe('pit-20240303T120000Z');
      const row = await repo.modelVersions.latest('pit');
      expect(row).toMatchObject({ kind: 'pit', version, dataFromSeason: 2024, dataToSeason: 2024 });
      expect(row!.artifactUri).toMatch(/^file:\/\/.*pit-model\.json$/);
      expect(await repo.modelVersions.latest('race')).toBeUndefined();
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

    it('uses only laps up to N: later laps in the database change nothing', async () => {
      const before = (await call({ path: `/${raceId}`, query: { lap: '8' } })).body as PitForecastResponse;
      await db.knex('laps').where({ race_id: raceId }).where('lap', '>', 8).update({ time_ms: 150_000, track_status: '4', compound: 'WET' });
      const after = (await call({ path: `/${raceId}`, query: { lap: '8' } })).body as PitForecastResponse;
      expect(after.drivers).toEqual(before.drivers);
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
