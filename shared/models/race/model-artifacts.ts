import type { ArtifactStore } from '../../artifacts/artifact-store.js';
import { tf } from '../tf.js';
import type { RaceModel, RaceModelSpec } from './race-model.js';

/**
 * A race model as artifacts under a prefix: model.json + weights.bin (the tfjs layers
 * format, written through tf.io.withSaveHandler so no tfjs-node file system is needed),
 * feature-spec.json, normalisation.json, calibration.json, gap-table.json, and whatever
 * metadata the caller adds (metrics.json, snapshot.json).
 */

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

export async function saveRaceModel(store: ArtifactStore, prefix: string, model: RaceModel, extra: Record<string, unknown> = {}): Promise<string> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.net.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('model produced no weights');
  const weights = new Uint8Array(tf.io.concatenateArrayBuffers([artifacts.weightData].flat() as ArrayBuffer[]));
  const { spec } = model;
  const files: [string, string | Uint8Array, string][] = [
    ['weights.bin', weights, 'application/octet-stream'],
    ['feature-spec.json', json({ kind: spec.kind, formatVersion: spec.formatVersion, featureNames: spec.featureNames, encoding: 'standardised values, then one missing-indicator per feature' }), 'application/json'],
    ['normalisation.json', json(spec.normalisation), 'application/json'],
    ['calibration.json', json({ temperature: spec.temperature, ...(spec.badRace ? { badRace: spec.badRace } : {}), dnfCalibration: spec.dnfCalibration, gapInterval: spec.gapInterval ?? [0.1, 0.9], samples: spec.samples }), 'application/json'],
    ['gap-table.json', json(spec.gapTable), 'application/json'],
    ...(spec.slotTable ? [['slot-table.json', json(spec.slotTable), 'application/json'] as [string, string, string]] : []),
    ...Object.entries(extra).map(([name, v]): [string, string, string] => [`${name}.json`, json(v), 'application/json']),
    // model.json last: its presence marks a complete model.
    [
      'model.json',
      json({
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      }),
      'application/json',
    ],
  ];
  for (const [name, data, type] of files) await store.put(`${prefix}/${name}`, data, type);
  return store.uriOf(`${prefix}/model.json`);
}

export async function loadRaceModel(store: ArtifactStore, prefix: string): Promise<RaceModel> {
  const read = async <T>(name: string) => JSON.parse((await store.get(`${prefix}/${name}`)).toString('utf8')) as T;
  const modelJson = await read<{ modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] }>('model.json');
  const weights = await store.get(`${prefix}/weights.bin`);
  const net = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest.flatMap((m) => m.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    }),
  );
  const featureSpec = await read<Pick<RaceModelSpec, 'kind' | 'formatVersion' | 'featureNames'>>('feature-spec.json');
  const calibration = await read<Pick<RaceModelSpec, 'temperature' | 'badRace' | 'dnfCalibration' | 'samples' | 'gapInterval'>>('calibration.json');
  const spec: RaceModelSpec = {
    kind: 'race',
    formatVersion: featureSpec.formatVersion,
    featureNames: featureSpec.featureNames,
    normalisation: await read('normalisation.json'),
    temperature: calibration.temperature,
    ...(calibration.badRace ? { badRace: calibration.badRace } : {}),
    dnfCalibration: calibration.dnfCalibration,
    gapInterval: calibration.gapInterval ?? [0.1, 0.9],
    samples: calibration.samples,
    gapTable: await read('gap-table.json'),
  };
  // Models trained before the pool have no slot table; they still serve on their own.
  if ((await store.list(`${prefix}/`)).includes(`${prefix}/slot-table.json`)) spec.slotTable = await read('slot-table.json');
  return { spec, net };
}
