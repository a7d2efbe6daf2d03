import { beforeAll, describe, expect, it } from 'vitest';
import { setupTensorflow, tf } from '../../shared/models/tf.js';
import { buildWindows } from '../../shared/pits/dataset.js';
import { buildSequences, featureNames } from '../../shared/pits/features.js';
import { buildPitModel, fitPitModel, loadPitModel, predictPits, serializePitModel, type PitModelArtifact } from '../../shared/pits/model.js';
import { fourCars, syntheticRace } from './synthetic-race.js';

const options = { window: 5, units: 4, hidden: 4 };

describe('pit model (BiLSTM + attention)', () => {
  beforeAll(async () => {
    await setupTensorflow({ prefer: 'wasm' });
  });

  const set = buildWindows(buildSequences(syntheticRace({ totalLaps: 30, scLap: 10, cars: fourCars })), options.window);

  it('is a bidirectional LSTM over the window with softmax attention over time', () => {
    const model = buildPitModel(options);
    const names = model.layers.map((l) => l.getClassName());
    expect(names).toContain('Bidirectional');
    expect(names).toContain('Softmax');
    expect(names).toContain('Dot');
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
    model.dispose();
  });

  it('trains, and predicts identically after a save-and-load round trip through JSON', async () => {
    const model = buildPitModel(options);
    const before = model.getWeights().map((w) => w.dataSync().slice());
    await fitPitModel(model, set, { epochs: 2, batchSize: 32 });
    const after = model.getWeights().map((w) => w.dataSync().slice());
    expect(after.some((w, i) => w.some((v, j) => v !== before[i]![j]))).toBe(true);

    const p = predictPits(model, set.windows, set.n, set.w);
    expect(p.every((r) => r.length === 3 && r.every((x) => x > 0 && x < 1))).toBe(true);

    const artifact = await serializePitModel(model, {
      options,
      featureNames: [...featureNames],
      threshold: 0.3,
      trainedOn: { seasons: [2024], rows: set.n, positives: 4 },
    });
    const restored = await loadPitModel(JSON.parse(JSON.stringify(artifact)) as PitModelArtifact);
    expect(predictPits(restored, set.windows, set.n, set.w)).toEqual(p);
    model.dispose();
    restored.dispose();
  });

  it('early stopping keeps the weights of the best-scoring epoch', async () => {
    const model = buildPitModel(options);
    const scores = [0.2, 0.9, 0.4];
    const atEpoch: number[][][] = [];
    const fit = await fitPitModel(model, set, {
      epochs: 3,
      batchSize: 32,
      score: (m) => {
        atEpoch.push(predictPits(m, set.windows, set.n, set.w));
        return scores[atEpoch.length - 1]!;
      },
    });
    expect(fit).toEqual({ epoch: 2, scores });
    expect(atEpoch[2]).not.toEqual(atEpoch[1]);
    expect(predictPits(model, set.windows, set.n, set.w)).toEqual(atEpoch[1]);
    model.dispose();
  });

  it('refuses an artifact trained on another feature set', async () => {
    const model = buildPitModel(options);
    const artifact = await serializePitModel(model, { options, featureNames: [...featureNames], threshold: 0.3, trainedOn: { seasons: [], rows: 0, positives: 0 } });
    await expect(loadPitModel({ ...artifact, featureNames: ['a', 'b'] })).rejects.toThrow(/predates the current features; run npx pitwall train/);
    model.dispose();
  });

  it('runs on the wasm backend here', () => {
    expect(tf.getBackend()).toBe('wasm');
  });
});
