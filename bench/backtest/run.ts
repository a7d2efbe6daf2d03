// Benchmark of the walk-forward backtest as `pitwall backtest --from 2014 --to 2024` runs it:
// every race forecast through the pool as updated after the race before, a network per season
// (three warm-up seasons first), the baselines scored in the same run. Prints the wall time and
// peak memory of the whole run (goal ≤ 20 min on this 2-core machine), and the cost of one
// in-season update (the pool learning a race) beside the baselines' refit of their slot table.
// Usage: npm run bench:backtest [-- --from 2014 --to 2024]
//   env: F1_DATA_DIR (default ../shared/data), BENCH_DATABASE_URL (an admin URL on the
//   PostgreSQL server; default postgres://postgres@127.0.0.1:5432/postgres).
import { parseArgs } from 'node:util';
import { parseConfig } from '../../shared/config/config.js';
import { readEnvironment } from '../../shared/config/env.js';
import { runBacktest, seasonStartPool, WARMUP_SEASONS } from '../../shared/training/backtest.js';
import { FEATURE_HISTORY_SEASONS, indexHistory } from '../../shared/features/race-features.js';
import { fitSlotTable } from '../../shared/models/race/baselines.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { mb, peakRssSampler, withIngestedPostgres } from '../scratch-postgres.js';

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
const from = Number(values.from ?? 2014);
const to = Number(values.to ?? 2024);
const env = readEnvironment(process.env);
const config = parseConfig(env);
const adminUrl = env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const rss = peakRssSampler();

try {
  await withIngestedPostgres(adminUrl, 'backtest', config.dataDir, async ({ repo, ingestSeconds }) => {
    const backend = await setupTensorflow();
    console.log(`setup: Ergast dump ingested into PostgreSQL in ${ingestSeconds.toFixed(1)} s (not part of the figures); tfjs backend ${backend}`);
    const history = await repo.history.load({ fromSeason: from - WARMUP_SEASONS - 11 - FEATURE_HISTORY_SEASONS, toSeason: to });

    rss.reset();
    const t0 = performance.now();
    let races = 0;
    const result = await runBacktest(history, { fromSeason: from, toSeason: to, onRace: () => races++ });
    const wall = (performance.now() - t0) / 1000;
    const peak = rss.peak();

    // One in-season update: the pool learning a race (its candidates refitted), against the
    // baselines' update, a refit of the slot table on the same window plus the race.
    const evidence = result.evidence.get(to)!;
    const learner = seasonStartPool(result.evidence, to);
    const t1 = performance.now();
    for (const e of evidence) learner.observe(e);
    const update = (performance.now() - t1) / evidence.length;
    const ix = indexHistory(history);
    const ids = history.races.filter((r) => r.season >= to - 11 && r.season <= to).map((r) => r.id);
    const t2 = performance.now();
    fitSlotTable(ids.map((id) => ({ qualifying: ix.qualifying.get(id) ?? [], results: ix.byRace.get(id) ?? [] })));
    const slotRefit = performance.now() - t2;

    const rows = [
      ['| | measured | goal |', '|---|---|---|'],
      [`| backtest ${from}–${to}, ${races} races (${to - from + 1 + WARMUP_SEASONS} season networks, every race updated) | ${(wall / 60).toFixed(1)} min (${wall.toFixed(0)} s) | ≤ 20 min |`],
      [`| peak RSS | ${mb(peak)} | |`],
      [`| one in-season update of the pool (${to}, mean of ${evidence.length}) | ${update.toFixed(0)} ms | |`],
      [`| baseline: refit of the slot lookup on its 12 seasons | ${slotRefit.toFixed(0)} ms | |`],
    ].flat();
    console.log(rows.join('\n'));
  });
} finally {
  rss.stop();
}
