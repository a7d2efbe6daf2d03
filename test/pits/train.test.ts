import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalFolderStore } from '../../shared/artifacts/local-folder-store.js';
import type { Database } from '../../shared/db/connect.js';
import { silentLogger } from '../../shared/log/logger.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { createPitModelRegistry } from '../../shared/pits/registry.js';
import { forecastAtLap } from '../../shared/pits/serve.js';
import { createPitModelSource, trainPitModel } from '../../shared/pits/train.js';
import { loadPitRaces } from '../../shared/pits/load.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { seedRace } from './seed.js';

const pglite = backends.find((b) => b.name === 'pglite')!;

describe('pit training job step', () => {
  let db: Database;
  let repo: Repository;
  let dir: string;
  beforeAll(async () => {
    await setupTensorflow({ prefer: 'wasm' });
    db = await pglite.open();
    repo = createRepository(db.knex);
    await seedRace(repo);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pits-train-'));
  });
  afterAll(async () => {
    await db?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('trains, stores the artifact, registers a pit model version and records the run', async () => {
    const artifacts = createLocalFolderStore(dir);
    const out = await trainPitModel(
      { repo, logger: silentLogger, artifacts, codeRevision: 'abc123' },
      { trainSeasons: [2024, 2024], thresholdSeason: 2024, model: { window: 4, units: 4, hidden: 4 }, epochs: 1, batchSize: 32 },
    );
    expect(out.rows).toBe(4 * 29);
    expect(out.positives).toBe(4);
    const version = await repo.modelVersions.latest('pit');
    expect(version).toMatchObject({ version: out.version, codeRevision: 'abc123', dataFromSeason: 2024 });
    const run = await repo.modelVersions.runById(version!.trainingRunId!);
    expect(run).toMatchObject({ kind: 'pit', status: 'succeeded' });
    expect(await artifacts.list('pit/')).toEqual([`pit/${out.version}/pit-model.json`]);

    // What serving loads is what was trained.
    const loaded = await createPitModelSource(createPitModelRegistry({ artifacts, versions: repo.modelVersions })).latest();
    expect(loaded.version).toBe(out.version);
    expect(loaded.threshold).toBe(out.threshold);
    const race = (await loadPitRaces(repo, { fromSeason: 2024, toSeason: 2024 })).races[0]!;
    expect(forecastAtLap(loaded, race, 10)).toHaveLength(4);
  });

  it('records a failed run when there is nothing to train on', async () => {
    await expect(
      trainPitModel({ repo, logger: silentLogger, artifacts: createLocalFolderStore(dir) }, { trainSeasons: [1990, 1991], thresholdSeason: 1992, model: { window: 4, units: 4, hidden: 4 }, epochs: 1, batchSize: 32 }),
    ).rejects.toThrow(/no races with lap data/);
    const runs = await db.knex('training_runs').where({ kind: 'pit', status: 'failed' });
    expect(runs).toHaveLength(1);
  });
});
