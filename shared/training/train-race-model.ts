import { featureNames, type HistoryIndex, type RaceFeatures } from '../features/race-features.js';
import { fitSlotTable } from '../models/race/baselines.js';
import { fitPlatt, fitTemperature, sigmoid } from '../models/race/calibrate.js';
import { actualGapSeconds, raceOutcome } from '../domain/race-outcome.js';
import { fitGapTable } from '../models/race/gap-table.js';
import { simulateRace } from '../models/race/simulate.js';
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
  /**
   * 'top3': the temperature maximising the held-out top-3 likelihood; 'simulated' (default, chosen on
   * a 2019–2021 validation backtest): then refined on the simulated win/podium/top-10 log loss.
   */
  temperatureObjective?: 'top3' | 'simulated';
  /**
   * Fit the simulation's bad-race probability (see simulateRace) jointly with the temperature
   * (default true, chosen on the 2019–2021 validation backtest: it mends the over-confident top-10
   * probabilities of front-runners that one temperature leaves); false keeps plain Plackett–Luce.
   */
  badRace?: boolean;
  samples?: number;
  onEpoch?: (stage: 'calibration' | 'final', epoch: number, loss: number) => void;
}

/**
 * Fits the race model on the given races (all strictly earlier than anything it will be
 * asked to forecast). Calibration is honest inside the training window: a first network
 * is trained without the last training season, the temperature (with the bad-race
 * probability) and DNF Platt scaling are fitted on that held-out season, then the final
 * network is trained on every race and keeps that calibration.
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
  let badRace = 0;
  let dnfCalibration = { a: 1, b: 0 };
  let gapInterval: [number, number] = [0.1, 0.9];
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
    temperature = fitTemperature(ordered, 3);
    dnfCalibration = fitPlatt(z, y);
    if ((options.temperatureObjective ?? 'simulated') === 'simulated') {
      // Refine the temperature on what is reported: log loss of simulated P(win), P(podium), P(top 10).
      // Outcomes over the race's starters (domain/race-outcome.ts), as the scorer reads them.
      const heldOut = held.map((e) => ({ e, out: rawOutputs(probe, e.features), outcomes: new Map(raceOutcome(ix.byRace.get(e.raceId) ?? []).map((o) => [o.driverId, o])) }));
      const loss = (t: number, eps = 0) => {
        let sum = 0;
        let n = 0;
        for (const { e, out, outcomes } of heldOut) {
          const sim = simulateRace({
            strengths: out.strength.map((s) => s / t),
            pDnf: out.dnfLogit.map((v) => sigmoid(dnfCalibration.a * v + dnfCalibration.b)),
            gapTable: { gaps: [] },
            samples: 1000,
            seed: e.raceId,
            badRace: eps,
          });
          e.features.drivers.forEach((d, i) => {
            const o = outcomes.get(d.driverId);
            if (!o) return;
            const ll = (p: number, y: boolean) => -Math.log(Math.min(1 - 1e-4, Math.max(1e-4, y ? p : 1 - p)));
            sum += ll(sim[i]!.pWin, o.win) + ll(sim[i]!.pPodium, o.podium) + ll(sim[i]!.pTop10, o.top10);
            n++;
          });
        }
        return sum / Math.max(1, n);
      };
      const base = temperature;
      let best = { t: base, eps: 0, l: loss(base) };
      for (const m of [0.7, 0.8, 0.9, 1.1, 1.2, 1.35, 1.5]) {
        const l = loss(base * m);
        if (l < best.l) best = { t: base * m, eps: 0, l };
      }
      if (options.badRace ?? true) {
        // Bad races take probability from the front-runners, so the temperature is searched again beside each level.
        const t0 = best.t;
        for (const eps of [0.02, 0.04, 0.07, 0.1]) {
          for (const m of [0.8, 0.9, 1, 1.1, 1.2, 1.35]) {
            const l = loss(t0 * m, eps);
            if (l < best.l) best = { t: t0 * m, eps, l };
          }
        }
      }
      temperature = best.t;
      badRace = best.eps;
    }
    // The gap interval: the symmetric quantile levels whose interval covers 80% of the held-out lead-lap gaps.
    const gapTable = fitGapTable(inner.map((e) => ix.byRace.get(e.raceId) ?? []));
    const cases: { samples: number[]; gap: number }[] = [];
    for (const e of held) {
      const out = rawOutputs(probe, e.features);
      const sim = simulateRace({
        strengths: out.strength.map((s) => s / temperature),
        pDnf: out.dnfLogit.map((v) => sigmoid(dnfCalibration.a * v + dnfCalibration.b)),
        gapTable,
        samples: 1000,
        seed: e.raceId,
        badRace,
        keepGapSamples: true,
      });
      const rows = ix.byRace.get(e.raceId) ?? [];
      e.features.drivers.forEach((d, i) => {
        const gap = actualGapSeconds(rows, d.driverId);
        const r = rows.find((x) => x.driverId === d.driverId);
        if (gap !== null && r?.position !== 1) cases.push({ samples: sim[i]!.gapSamples!, gap });
      });
    }
    gapInterval = calibrateInterval(cases, 0.8);
    net.dispose();
  }
  const spec = specFor(examples, temperature, dnfCalibration, options.samples);
  spec.gapInterval = gapInterval;
  if (badRace > 0) spec.badRace = badRace;
  spec.gapTable = fitGapTable(examples.map((e) => ix.byRace.get(e.raceId) ?? []));
  spec.slotTable = fitSlotTable(examples.map((e) => ({ qualifying: ix.qualifying.get(e.raceId) ?? [], results: ix.byRace.get(e.raceId) ?? [] })));
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

/** Symmetric quantile levels (q, 1 − q) whose intervals cover `target` of the cases (nominal when there are too few). */
export function calibrateInterval(cases: readonly { samples: number[]; gap: number }[], target: number): [number, number] {
  const nominal: [number, number] = [(1 - target) / 2, 1 - (1 - target) / 2];
  if (cases.length < 50) return nominal;
  const coverage = (q: number) =>
    cases.filter(({ samples: s, gap }) => {
      const at = (x: number) => s[Math.min(s.length - 1, Math.floor(x * s.length))]!;
      return gap >= at(q) && gap <= at(1 - q);
    }).length / cases.length;
  let best = nominal;
  let bestErr = Infinity;
  for (let q = 0.02; q <= 0.3001; q += 0.01) {
    const err = Math.abs(coverage(q) - target);
    if (err < bestErr - 1e-12) {
      bestErr = err;
      best = [q, 1 - q];
    }
  }
  return best;
}
