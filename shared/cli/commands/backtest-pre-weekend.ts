import { openDatabase } from '../../db/connect.js';
import { migrateLatest } from '../../db/migrate.js';
import { PRE_WEEKEND_HOURS_DEFAULT } from '../../domain/freeze-instant.js';
import { ValidationError } from '../../errors.js';
import { FEATURE_HISTORY_SEASONS } from '../../features/race-features.js';
import { createProgress } from '../../log/progress.js';
import { createRepository } from '../../repository/index.js';
import { preWeekendCompetitors, runPreWeekendBacktest, type PreWeekendBacktestReport, type PreWeekendCompetitor } from '../../training/pre-weekend-backtest.js';
import type { MetricReport } from '../../evaluation/score-race.js';
import { writeJsonReport } from '../json-report.js';
import { flagCommand } from '../command.js';

const usage = 'pitwall backtest-pre-weekend [--from 2014] [--to 2024] [--warmup-from SEASON (default from − 10)] [--hours N (before first practice, default 24)] [--json FILE]';

const label: Record<PreWeekendCompetitor, string> = { model: 'model', championshipOrder: 'championship order', previousRace: 'previous race' };

const v = (m: MetricReport | undefined, k: string) => m?.[k]?.value ?? NaN;
const f = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '');

/** The goal of issue 17: winner NLL and position MAE below both baselines, pooled and in at least 9 of 11 seasons. */
export function preWeekendGoal(report: PreWeekendBacktestReport): { metric: string; pooledBetter: boolean; seasonsBetter: number; seasons: number }[] {
  return ['winnerNll', 'positionMae'].map((metric) => {
    const better = (r: Record<PreWeekendCompetitor, MetricReport>) => v(r.model, metric) < Math.min(v(r.championshipOrder, metric), v(r.previousRace, metric));
    const seasons = Object.values(report.bySeason);
    return { metric, pooledBetter: better(report.pooled), seasonsBetter: seasons.filter(better).length, seasons: seasons.length };
  });
}

export function formatPreWeekendReport(report: PreWeekendBacktestReport): string {
  const metrics: [string, string, number][] = [
    ['winner NLL', 'winnerNll', 3],
    ['position MAE', 'positionMae', 2],
    ['Spearman', 'spearman', 3],
    ['winner correct', 'winnerCorrect', 3],
    ['Brier win', 'brierWin', 4],
    ['Brier podium', 'brierPodium', 4],
    ['Brier points', 'brierTop10', 4],
    ['log loss DNF', 'logLossDnf', 4],
    ['ECE points', 'eceTop10', 4],
    ['gap 80% coverage', 'gapCoverage80', 3],
  ];
  const lines = [
    `pre-weekend forecasts ${report.fromSeason}–${report.toSeason}, ${report.races} races, frozen ${report.hours} h before first practice (learner from ${report.warmupFrom})`,
    '',
    `metric            ${preWeekendCompetitors.map((c) => label[c].padStart(24)).join('')}`,
    ...metrics.map(([name, key, d]) => {
      const cells = preWeekendCompetitors.map((c) => {
        const e = report.pooled[c][key];
        return `${f(e?.value ?? NaN, d)} [${f(e?.ciLow ?? NaN, d)}, ${f(e?.ciHigh ?? NaN, d)}]`.padStart(24);
      });
      return `${name.padEnd(18)}${cells.join('')}`;
    }),
    '',
    'season  races   winner NLL: model / champ / prev      position MAE: model / champ / prev',
    ...Object.entries(report.bySeason).map(([season, r]) => {
      const cell = (k: string, d: number) => preWeekendCompetitors.map((c) => f(v(r[c], k), d)).join(' / ');
      const mark = (k: string) => (v(r.model, k) < Math.min(v(r.championshipOrder, k), v(r.previousRace, k)) ? '✓' : '✗');
      return `${season}    ${String(v(r.model, 'races')).padStart(3)}   ${cell('winnerNll', 3).padEnd(26)} ${mark('winnerNll')}      ${cell('positionMae', 2).padEnd(22)} ${mark('positionMae')}`;
    }),
    '',
    ...preWeekendGoal(report).map((g) => `goal ${g.metric}: pooled ${g.pooledBetter ? 'better' : 'NOT better'} than both baselines; better in ${g.seasonsBetter} of ${g.seasons} seasons (goal ≥ 9 of 11)`),
  ];
  return `${lines.join('\n')}\n`;
}

export const backtestPreWeekendCommand = flagCommand({
  summary: 'walk-forward backtest of the pre-weekend forecast against the championship-order and previous-race baselines',
  usage,
  flags: { from: { type: 'string' }, to: { type: 'string' }, 'warmup-from': { type: 'string' }, hours: { type: 'string' }, json: { type: 'string' } },
  async run({ config, logger, stdout }, values) {
    const from = Number(values.from ?? 2014);
    const to = Number(values.to ?? 2024);
    const warmupFrom = Number(values['warmup-from'] ?? from - 10);
    const hours = Number(values.hours ?? PRE_WEEKEND_HOURS_DEFAULT);
    if (![from, to, warmupFrom].every(Number.isInteger) || from > to || warmupFrom > from) throw new ValidationError(`--warmup-from ≤ --from ≤ --to must be seasons\nusage: ${usage}`);
    if (!(hours >= 0 && hours <= 24 * 14)) throw new ValidationError(`--hours must be between 0 and 336\nusage: ${usage}`);
    const db = await openDatabase(config.database);
    try {
      await migrateLatest(db.knex);
      const repo = createRepository(db.knex);
      const history = await repo.history.load({ fromSeason: warmupFrom - FEATURE_HISTORY_SEASONS, toSeason: to });
      const withResults = new Set(history.results.map((r) => r.raceId));
      if (!history.races.some((r) => r.season === warmupFrom && withResults.has(r.id)) || !history.races.some((r) => r.season === to && withResults.has(r.id))) {
        throw new ValidationError(`the database lacks the results of ${warmupFrom}–${to} this backtest reads: ingest them (npx pitwall ingest --dump DIR)`);
      }
      const total = history.races.filter((r) => r.season >= from && r.season <= to && withResults.has(r.id)).length;
      const bar = createProgress(logger, 'pre-weekend backtest', total);
      const { report } = runPreWeekendBacktest(history, { fromSeason: from, toSeason: to, warmupFrom, hours, onRace: (l) => bar.tick(1, l) });
      bar.stop();
      await writeJsonReport(values.json, report, logger, 'pre-weekend backtest');
      stdout.write(formatPreWeekendReport(report));
      return 0;
    } finally {
      await db.close();
    }
  },
});
