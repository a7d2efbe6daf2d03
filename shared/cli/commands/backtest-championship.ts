import { openDatabase } from '../../db/connect.js';
import { migrateLatest } from '../../db/migrate.js';
import { PRE_WEEKEND_HOURS_DEFAULT } from '../../domain/freeze-instant.js';
import { ValidationError } from '../../errors.js';
import { FEATURE_HISTORY_SEASONS } from '../../features/race-features.js';
import { createProgress } from '../../log/progress.js';
import { createRepository } from '../../repository/index.js';
import { CHAMPIONSHIP_SAMPLES, CHAMPIONSHIP_STRENGTH_SD } from '../../championship/championship-input.js';
import { championships, checkpoints, runChampionshipBacktest, type ChampionshipBacktestReport, type Checkpoint } from '../../championship/championship-backtest.js';
import { rankBaselineSettings } from '../../championship/rank-baseline.js';
import { writeJsonReport } from '../json-report.js';
import { flagCommand } from '../command.js';

const usage = 'pitwall backtest-championship [--from 2014] [--to 2024] [--warmup-from SEASON (default from − 10)] [--samples N (default 10000)] [--strength-sd SD] [--compare-sd SD,SD,...] [--hours N] [--json FILE]';

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const checkpointLabel: Record<Checkpoint, string> = { third: '1/3', half: '1/2', twoThirds: '2/3' };

export function formatChampionshipReport(r: ChampionshipBacktestReport): string {
  const keys = Object.keys(checkpoints) as Checkpoint[];
  const lines = [
    `title odds ${r.fromSeason}–${r.toSeason}: ${r.samples} simulated seasons after every round (learner from ${r.warmupFrom}, season-long strength SD ${r.strengthSd}); log loss = −ln P(real champion), model / baseline "ranks by current points" (seasons ${r.baseline.fromSeason}…season−1, α ${r.baseline.alpha}, q ${r.baseline.q})`,
    '',
    `season  ${championships.map((c) => keys.map((k) => `${c.slice(0, 5)} ${checkpointLabel[k]}`.padStart(15)).join('')).join('')}`,
    ...Object.entries(r.seasons).map(([season, s]) =>
      `${season}    ${championships.map((c) => keys.map((k) => `${f(s.logLoss[k][c].model, 2)}/${f(s.logLoss[k][c].baseline, 2)}`.padStart(15)).join('')).join('')}`),
    `pooled  ${championships.map((c) => keys.map((k) => `${f(r.pooled[k][c].model, 2)}/${f(r.pooled[k][c].baseline, 2)}`.padStart(15)).join('')).join('')}`,
    '',
    "P(real drivers' champion) after each round, model / baseline:",
    ...Object.entries(r.seasons).map(([season, s]) => `${season}  ${s.perRound.map((p) => `${f(p.model.drivers, 2)}/${f(p.baseline.drivers, 2)}`).join(' ')}`),
    '',
    "P(real constructors' champion) after each round, model / baseline:",
    ...Object.entries(r.seasons).map(([season, s]) => `${season}  ${s.perRound.map((p) => `${f(p.model.constructors, 2)}/${f(p.baseline.constructors, 2)}`).join(' ')}`),
    ...(r.variants
      ? [
          '',
          'pooled log loss by season-long strength SD (drivers 1/3 1/2 2/3 every-round | constructors 1/3 1/2 2/3 every-round):',
          ...Object.entries(r.variants).map(([sd, v]) => `sd ${sd.padEnd(6)} ${championships.map((c) => [...keys.map((k) => f(v.checkpoints[k][c])), f(v.everyRound[c])].join(' ')).join(' | ')}`),
        ]
      : []),
  ];
  return `${lines.join('\n')}\n`;
}

export const backtestChampionshipCommand = flagCommand({
  summary: 'walk-forward backtest of the championship odds against the "ranks by current points" baseline',
  usage,
  flags: { from: { type: 'string' }, to: { type: 'string' }, 'warmup-from': { type: 'string' }, samples: { type: 'string' }, 'strength-sd': { type: 'string' }, 'compare-sd': { type: 'string' }, hours: { type: 'string' }, json: { type: 'string' } },
  async run({ config, logger, stdout }, values) {
    const from = Number(values.from ?? 2014);
    const to = Number(values.to ?? 2024);
    const warmupFrom = Number(values['warmup-from'] ?? from - 10);
    const samples = Number(values.samples ?? CHAMPIONSHIP_SAMPLES);
    const hours = Number(values.hours ?? PRE_WEEKEND_HOURS_DEFAULT);
    const strengthSd = Number(values['strength-sd'] ?? CHAMPIONSHIP_STRENGTH_SD);
    const compareSd = values['compare-sd'] ? values['compare-sd'].split(',').map(Number) : [];
    if (![strengthSd, ...compareSd].every((x) => Number.isFinite(x) && x >= 0 && x <= 5)) throw new ValidationError(`--strength-sd and --compare-sd take SDs between 0 and 5 (comma-separated for --compare-sd)\nusage: ${usage}`);
    if (![from, to, warmupFrom].every(Number.isInteger) || from > to || warmupFrom > from) throw new ValidationError(`--warmup-from ≤ --from ≤ --to must be seasons\nusage: ${usage}`);
    if (from < 2003) throw new ValidationError(`--from must be 2003 or later (the points systems on record, shared/championship/points-system.ts)\nusage: ${usage}`);
    if (!(Number.isInteger(samples) && samples >= 100 && samples <= 1_000_000)) throw new ValidationError(`--samples must be an integer between 100 and 1000000\nusage: ${usage}`);
    if (!(hours >= 0 && hours <= 24 * 14)) throw new ValidationError(`--hours must be between 0 and 336\nusage: ${usage}`);
    const db = await openDatabase(config.database);
    try {
      await migrateLatest(db.knex);
      const repo = createRepository(db.knex);
      const history = await repo.history.load({ fromSeason: Math.min(rankBaselineSettings.fromSeason, warmupFrom - FEATURE_HISTORY_SEASONS), toSeason: to });
      const withResults = new Set(history.results.map((r) => r.raceId));
      if (!history.races.some((r) => r.season === warmupFrom && withResults.has(r.id)) || !history.races.some((r) => r.season === to && withResults.has(r.id))) {
        throw new ValidationError(`the database lacks the results of ${warmupFrom}–${to} this backtest reads: ingest them (npx pitwall ingest --dump DIR)`);
      }
      const total = history.races.filter((r) => r.season >= from && r.season <= to && withResults.has(r.id)).length;
      const bar = createProgress(logger, 'championship backtest', total);
      const report = runChampionshipBacktest(history, { fromSeason: from, toSeason: to, warmupFrom, hours, samples, strengthSd, compareSd, onRound: (l) => bar.tick(1, l) });
      bar.stop();
      await writeJsonReport(values.json, report, logger, 'championship backtest');
      stdout.write(formatChampionshipReport(report));
      return 0;
    } finally {
      await db.close();
    }
  },
});
