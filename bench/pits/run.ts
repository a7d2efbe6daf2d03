/**
 * Pit model benchmark (npm run bench:pits): training time on 2019–2023 and inference
 * for 20 drivers, on this machine's backend (wasm here), printed beside the goals and
 * beside the tyre-life hazard baseline measured in the same run.
 *
 *   DATABASE_URL=postgres://... npm run bench:pits [-- --epochs N]
 * Needs laps in the database (pitwall ingest). Nothing is published.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../shared/config/config.js';
import { readEnvironment } from '../../shared/config/env.js';
import { openDatabase } from '../../shared/db/connect.js';
import { createLogger } from '../../shared/log/logger.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { fitHazardModel } from '../../shared/pits/baselines.js';
import { buildWindows, pitNextLabels } from '../../shared/pits/dataset.js';
import { buildSequences } from '../../shared/pits/features.js';
import { loadPitRaces } from '../../shared/pits/load.js';
import { prAuc } from '../../shared/pits/metrics.js';
import { buildPitModel, fitPitModel, predictPits } from '../../shared/pits/model.js';
import { forecastAtLap } from '../../shared/pits/serve.js';
import { defaultTrainPit } from '../../shared/pits/train.js';
import { createRepository } from '../../shared/repository/index.js';

const { values } = parseArgs({ options: { epochs: { type: 'string' }, runs: { type: 'string' } } });
const epochs = Number(values.epochs ?? defaultTrainPit.epochs);
const runs = Number(values.runs ?? 50);
const config = parseConfig(readEnvironment(process.env));
const logger = createLogger(config.log);
const backend = await setupTensorflow();
const db = await openDatabase(config.database);
const repo = createRepository(db.knex);
const seconds = (from: number) => (performance.now() - from) / 1000;
const percentile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

try {
  const o = defaultTrainPit;
  let t = performance.now();
  const train = await loadPitRaces(repo, { fromSeason: o.trainSeasons[0], toSeason: o.trainSeasons[1] });
  const loadS = seconds(t);
  t = performance.now();
  const set = buildWindows(train.races.flatMap(buildSequences), o.model.window);
  const held = (await loadPitRaces(repo, { fromSeason: o.thresholdSeason, toSeason: o.thresholdSeason })).races;
  const heldSet = buildWindows(held.flatMap(buildSequences), o.model.window);
  const featuresS = seconds(t);
  t = performance.now();
  const model = buildPitModel(o.model);
  // As the job does: every epoch is scored on the held-out season (early stopping).
  await fitPitModel(model, set, {
    epochs,
    batchSize: o.batchSize,
    score: (m) => prAuc(predictPits(m, heldSet.windows, heldSet.n, heldSet.w).map((r) => r[0]!), pitNextLabels(heldSet)),
    onEpoch: (e, loss, heldPrAuc) => logger.info('epoch', { epoch: e + 1, of: epochs, loss, heldPrAuc }),
  });
  const fitS = seconds(t);
  t = performance.now();
  const hazard = await fitHazardModel(set);
  const hazardS = seconds(t);

  // Inference: a stored race with 20 cars, forecasts at a mid-race lap (features + model).
  const race = held.find((r) => new Set(r.laps.map((l) => l.driverId)).size >= 20) ?? held[0]!;
  const lap = Math.floor(race.totalLaps / 2);
  const loaded = { version: 'bench', model, window: o.model.window, threshold: 0.5 };
  for (let i = 0; i < 5; i++) forecastAtLap(loaded, race, lap);
  const latencies: number[] = [];
  let drivers = 0;
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    drivers = forecastAtLap(loaded, race, lap).length;
    latencies.push(performance.now() - s);
  }
  const hazardLatencies: number[] = [];
  const one = buildWindows(buildSequences({ ...race, laps: race.laps.filter((l) => l.lap <= lap + 1) }), o.model.window);
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    hazard.predict(one);
    hazardLatencies.push(performance.now() - s);
  }

  const rows: [string, string, string, string][] = [
    ['backend', backend, '', ''],
    ['machine', `${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} (1/5/15 min)`, '', ''],
    ['training rows (2019–2023 laps)', String(set.n), '', ''],
    ['load laps from the database', `${loadS.toFixed(1)} s`, '', ''],
    [`features + windows (and ${o.thresholdSeason}, held out: ${heldSet.n} rows)`, `${featuresS.toFixed(1)} s`, '', ''],
    [`fit BiLSTM+attention, ${epochs} epochs, each scored on ${o.thresholdSeason}`, `${fitS.toFixed(0)} s (${(fitS / 60).toFixed(1)} min)`, '≤ 15 min', `hazard baseline fit: ${hazardS.toFixed(1)} s`],
    ['training total', `${((loadS + featuresS + fitS) / 60).toFixed(1)} min`, '≤ 15 min', ''],
    ...(epochs !== o.epochs
      ? [[`projected for the job's ${o.epochs} epochs`, `${((loadS + featuresS + (fitS * o.epochs) / epochs) / 60).toFixed(1)} min`, '≤ 15 min', `from ${epochs} measured epochs`] as [string, string, string, string]]
      : []),
    [`inference, ${drivers} drivers at lap ${lap} (p50)`, `${percentile(latencies, 0.5).toFixed(1)} ms`, '≤ 50 ms', `hazard: ${percentile(hazardLatencies, 0.5).toFixed(1)} ms`],
    [`inference, ${drivers} drivers (p95)`, `${percentile(latencies, 0.95).toFixed(1)} ms`, '≤ 50 ms', `hazard: ${percentile(hazardLatencies, 0.95).toFixed(1)} ms`],
  ];
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  process.stdout.write(`pit model benchmark\n${rows.map((r) => `${r[0].padEnd(w[0]!)}  ${r[1].padEnd(w[1]!)}  ${r[2].padEnd(w[2]!)}  ${r[3]}`).join('\n')}\n`);
  model.dispose();
  hazard.dispose();
} finally {
  await db.close();
}
