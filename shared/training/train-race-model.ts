import { featureNames, type HistoryIndex, type RaceFeatures } from '../features/race-features.js';
import { fitPlatt, fitTemperature } from '../models/race/calibrate.js';
import { fitGapTable } from '../models/race/gap-table.js';
import { trainNetwork } from '../models/race/network.js';
import { fitNormalisation, rawOutputs, type RaceModel, type RaceModelSpec } from '../models/race/race-model.js';
import { buildExample, toTensors, usableExample, type RaceExample } from './race-dataset.js';

export interface FitOptions {
  epochs?: number;
  hidden?: number;
  l2?: number;
  learningRate?: number;
  /** Places that carry Plackett–Luce terms in training; the temperature is fitted on the top 3. */
  topK?: number;
  samples?: number;
  onEpoch?: (stage: 'calibration' | 'final', epoch: number, loss: number) => void;
}

/**
 * Fits the race model on the given races (all strictly earlier than anything it will be
 * asked to forecast). Calibration is honest inside the training window: a first network
 * is trained without the last training season, the temperature and DNF Platt scaling are
 * fitted on that held-out season, then the final network is trained on every race and
 * keeps that calibration.
 */
export async function fitRaceModel(
  ix: HistoryIndex,
  featuresOf: (raceId: number) => RaceFeatures,
  trainRaceIds: readonly number[],
  options: FitOptions = {},
): Promise<RaceModel> {
  const examples = trainRaceIds.map((id) => buildExample(ix, featuresOf(id))).filter(usableExample);
  if (examples.length < 10) throw new Error(`too few training races (${examples.length})`);
  const lastSeason = Math.max(...examples.map((e) => e.season));
  const inner = examples.filter((e) => e.season < lastSeason);
  const held = examples.filter((e) => e.season === lastSeason);
  const netOptions = { epochs: options.epochs, hidden: options.hidden, l2: options.l2, learningRate: options.learningRate, topK: options.topK };

  let temperature = 1;
  let dnfCalibration = { a: 1, b: 0 };
  if (inner.length >= 10 && held.length > 0) {
    const spec = specFor(inner, 1, { a: 1, b: 0 }, options.samples);
    const net = await trainNetwork(toTensors(inner, spec), { ...netOptions, onEpoch: (e, l) => options.onEpoch?.('calibration', e, l) });
    const probe: RaceModel = { spec, net };
    const ordered: number[][] = [];
    const z: number[] = [];
    const y: number[] = [];
    for (const e of held) {
      const out = rawOutputs(probe, e.features);
      ordered.push(finishersInOrder(e, out.strength));
      e.outcome.forEach((o, i) => {
        if (!o) return;
        z.push(out.dnfLogit[i]!);
        y.push(o.classified ? 0 : 1);
      });
    }
    net.dispose();
    temperature = fitTemperature(ordered, 3);
    dnfCalibration = fitPlatt(z, y);
  }
  const spec = specFor(examples, temperature, dnfCalibration, options.samples);
  spec.gapTable = fitGapTable(examples.map((e) => ix.byRace.get(e.raceId) ?? []));
  const net = await trainNetwork(toTensors(examples, spec), { ...netOptions, onEpoch: (e, l) => options.onEpoch?.('final', e, l) });
  return { spec, net };
}

function specFor(examples: readonly RaceExample[], temperature: number, dnfCalibration: RaceModelSpec['dnfCalibration'], samples = 4000): RaceModelSpec {
  return {
    kind: 'race',
    formatVersion: 1,
    featureNames: [...featureNames],
    normalisation: fitNormalisation(examples.flatMap((e) => e.features.drivers.map((d) => d.values)), featureNames.length),
    temperature,
    dnfCalibration,
    gapTable: { gaps: [] },
    samples,
  };
}

function finishersInOrder(e: RaceExample, strength: number[]): number[] {
  return e.outcome
    .map((o, i) => ({ o, s: strength[i]! }))
    .filter((x) => x.o?.classified)
    .sort((a, b) => a.o!.positionOrder - b.o!.positionOrder)
    .map((x) => x.s);
}
