import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../shared/artifacts/artifact-store.js';
import { createArtifactStore } from '../../shared/artifacts/create-store.js';
import type { RaceFeatures } from '../../shared/features/race-features.js';
import { featureNames } from '../../shared/features/race-features.js';
import { loadRaceModel, saveRaceModel } from '../../shared/models/race/model-artifacts.js';
import { buildNetwork } from '../../shared/models/race/network.js';
import { predictRace, type RaceModel } from '../../shared/models/race/race-model.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { startFakeGcs, type FakeGcs } from '../helpers/fake-gcs.js';

let fake: FakeGcs;
let tmp: string;

beforeAll(async () => {
  await setupTensorflow({ prefer: 'wasm' });
  fake = await startFakeGcs();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-artifacts-'));
});
afterAll(async () => {
  await fake.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

const stores: [string, () => Promise<ArtifactStore>][] = [
  ['local folder', () => createArtifactStore(path.join(tmp, `store-${Math.random().toString(36).slice(2)}`))],
  ['GCS (real client against the fake JSON API)', () => createArtifactStore(`gs://pitwall-models/p${Math.random().toString(36).slice(2)}`, { gcsApiEndpoint: fake.endpoint })],
];

/** A model with deterministic non-trivial weights, no training needed. */
function fixtureModel(): RaceModel {
  const n = featureNames.length;
  return {
    net: buildNetwork(n * 2, 8, 3),
    spec: {
      kind: 'race',
      formatVersion: 1,
      featureNames: [...featureNames],
      normalisation: { mean: featureNames.map((_, j) => j), std: featureNames.map((_, j) => 1 + j / 10) },
      temperature: 0.8,
      gapInterval: [0.15, 0.85],
      dnfCalibration: { a: 0.9, b: -0.4 },
      badRace: 0.05,
      gapTable: { gaps: Array.from({ length: 20 }, (_, p) => [p * 5, p * 5 + 2, null, p * 6]) },
      samples: 2000,
    },
  };
}

const features: RaceFeatures = {
  raceId: 42,
  seed: 202405,
  asOf: new Date('2024-05-01T12:00:00Z'),
  drivers: Array.from({ length: 20 }, (_, i) => ({
    driverId: 100 + i,
    constructorId: 1 + (i >> 1),
    values: featureNames.map((_, j) => ((i * 7 + j * 3) % 11 === 0 ? null : ((i + 1) * (j + 2)) % 17)),
  })),
};

describe.each(stores)('artifact store: %s', (_name, open) => {
  it('puts, gets, lists and reports a missing key', async () => {
    const store = await open();
    await store.put('a/b/one.json', '{"x":1}', 'application/json');
    await store.put('a/two.bin', new Uint8Array([0, 255, 7]));
    await store.put('z/other.txt', 'z');
    expect((await store.get('a/b/one.json')).toString()).toBe('{"x":1}');
    expect([...(await store.get('a/two.bin'))]).toEqual([0, 255, 7]);
    expect(await store.list('a/')).toEqual(['a/b/one.json', 'a/two.bin']);
    await expect(store.get('a/missing.json')).rejects.toThrow(/not found/);
    await expect(store.put('../escape', 'x')).rejects.toThrow(/invalid artifact key/);
    expect(store.uriOf('a/two.bin')).toMatch(/^(file|gs):\/\/.+a\/two\.bin$/);
  });

  it('round-trips a race model: save, load, identical predictions', async () => {
    const store = await open();
    const model = fixtureModel();
    const before = predictRace(model, features);
    await saveRaceModel(store, 'race/v-test', model, { metrics: { positionMae: 3.1 } });
    expect(await store.list('race/v-test/')).toEqual(
      ['calibration.json', 'feature-spec.json', 'gap-table.json', 'metrics.json', 'model.json', 'normalisation.json', 'weights.bin'].map((f) => `race/v-test/${f}`),
    );
    const loaded = await loadRaceModel(store, 'race/v-test');
    expect(loaded.spec).toEqual(model.spec);
    expect(predictRace(loaded, features)).toEqual(before);
    model.net.dispose();
    loaded.net.dispose();
  });
});

it('the GCS store went through the JSON API the client library uses', async () => {
  // Its own store and calls (put, get, list; a model saved and loaded): the requests it reads are the ones it made.
  const seen = fake.requests.length;
  const store = await stores[1]![1]();
  const model = fixtureModel();
  await saveRaceModel(store, 'race/v-test', model, { metrics: { positionMae: 3.1 } });
  const loaded = await loadRaceModel(store, 'race/v-test');
  expect((await store.get('race/v-test/metrics.json')).toString()).toMatch(/positionMae/);
  expect(await store.list('race/v-test/')).toHaveLength(7);
  model.net.dispose();
  loaded.net.dispose();
  const paths = fake.requests.slice(seen).map((r) => `${r.method} ${r.path.replace(/\/o\/.+$/, '/o/:name')}`);
  expect(paths).toContain('POST /upload/storage/v1/b/pitwall-models/o');
  expect(paths).toContain('GET /storage/v1/b/pitwall-models/o/:name');
  expect(paths).toContain('GET /storage/v1/b/pitwall-models/o');
  expect([...fake.objects.keys()].some((k) => k.endsWith('/race/v-test/weights.bin'))).toBe(true);
});
