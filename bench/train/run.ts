// Benchmark of the race model: wall time and peak memory to train on 2014–2024 (both
// networks: the calibration fit and the final fit), and the time to forecast one race
// (20 drivers, 4000 simulated orders) — model only, and through the Forecaster with its
// database read — beside the grid-order baseline forecaster, in the same run.
// Goals: training ≤ 60 s, one race ≤ 100 ms. Usage: npm run bench:train
//   env: F1_DATA_DIR (default ../shared/data), BENCH_DATABASE_URL (an admin URL on the
//   PostgreSQL server; default postgres://postgres@127.0.0.1:5432/postgres).
import { parseConfig } from '../../shared/config/config.js';
import { readEnvironment } from '../../shared/config/env.js';
import { postQualifyingFreeze } from '../../shared/domain/history.js';
import { indexHistory } from '../../shared/features/race-features.js';
import { createBaselineForecaster, createRaceForecaster } from '../../shared/models/race/forecaster.js';
import { predictRace } from '../../shared/models/race/race-model.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { createFeatureCache } from '../../shared/training/race-dataset.js';
import { fitRaceModel } from '../../shared/training/train-race-model.js';
import { mb, peakRssSampler, withIngestedPostgres } from '../scratch-postgres.js';

const env = readEnvironment(process.env);
const config = parseConfig(env);
const adminUrl = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rss = peakRssSampler();

async function median(n: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

try {
  await withIngestedPostgres(adminUrl, 'train', config.dataDir, async ({ repo, ingestSeconds }) => {
    const backend = await setupTensorflow();
    console.log(`setup: Ergast dump ingested into PostgreSQL in ${ingestSeconds.toFixed(1)} s (not part of the figures); tfjs backend ${backend}`);

    const rssBefore = process.memoryUsage().rss;
    rss.reset();
    const t0 = performance.now();
    const history = await repo.history.load({ fromSeason: 2004 });
    const ix = indexHistory(history);
    const featuresOf = createFeatureCache(ix);
    const trainIds = history.races.filter((r) => r.season >= 2014 && r.season <= 2024 && (ix.byRace.get(r.id)?.length ?? 0) > 0).map((r) => r.id);
    trainIds.forEach(featuresOf);
    const t1 = performance.now();
    const model = await fitRaceModel(ix, featuresOf, trainIds);
    const t2 = performance.now();
    const trainPeak = rss.peak();

    const race = history.races.find((r) => r.season === 2024 && r.round === 24)!;
    const asOf = postQualifyingFreeze(race);
    const features = featuresOf(race.id);
    const modelOnly = await median(21, () => predictRace(model, features));
    const forecaster = createRaceForecaster({ repo, model, version: 'bench' });
    const withDb = await median(11, () => forecaster.forecast(race.id, asOf));
    const grid = createBaselineForecaster({ repo, kind: 'gridOrder' });
    const gridMs = await median(11, () => grid.forecast(race.id, asOf));
    rss.stop();

    const trainS = (t2 - t0) / 1000;
    console.log(`\nrace model, ${trainIds.length} races 2014–2024, ${features.drivers.length} drivers in the forecast race (2024 R24), tfjs ${backend}, 2 cores`);
    console.log('| figure | value | goal |');
    console.log('|---|---|---|');
    console.log(`| training wall time (history read + features + 2 fits) | ${trainS.toFixed(1)} s | ≤ 60 s |`);
    console.log(`|   of which history read + features | ${((t1 - t0) / 1000).toFixed(1)} s | |`);
    console.log(`|   of which network fits (calibration + final, ${model.spec.samples} samples/forecast) | ${((t2 - t1) / 1000).toFixed(1)} s | |`);
    console.log(`| peak RSS while training (sampled) | ${mb(trainPeak)} (+${mb(trainPeak - rssBefore)}) | |`);
    console.log(`| process maxRSS (resourceUsage, whole run) | ${mb(process.resourceUsage().maxRSS * 1024)} | |`);
    console.log(`| one race, model + simulation (median of 21) | ${modelOnly.toFixed(1)} ms | ≤ 100 ms |`);
    console.log(`| one race via Forecaster incl. as-of DB read (median of 11) | ${withDb.toFixed(1)} ms | ≤ 100 ms |`);
    console.log(`| baseline: grid-order Forecaster incl. DB read (median of 11) | ${gridMs.toFixed(1)} ms | |`);
    console.log(`\ntraining ${trainS <= 60 ? 'meets' : 'misses'} the 60 s goal; one race ${modelOnly <= 100 ? 'meets' : 'misses'} the 100 ms goal (model + simulation)`);
    model.net.dispose();
  });
} finally {
  rss.stop();
}
