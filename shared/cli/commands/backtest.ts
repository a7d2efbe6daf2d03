import fs from 'node:fs/promises';
import path from 'node:path';
import { openDatabase, type Database } from '../../db/connect.js';
import { migrateLatest } from '../../db/migrate.js';
import { openPglite } from '../../db/pglite.js';
import { ValidationError } from '../../errors.js';
import { reportOf, runBacktest, taskSeasons, WARMUP_SEASONS, type BacktestPart, type BacktestReport } from '../../training/backtest.js';
import { createArtifactStore } from '../../artifacts/create-store.js';
import { FEATURE_HISTORY_SEASONS } from '../../features/race-features.js';
import { reliabilitySvg } from '../../evaluation/reliability-svg.js';
import { ingestFiles } from '../../ingest/ingest.js';
import { createProgress } from '../../log/progress.js';
import { setupTensorflow } from '../../models/tf.js';
import { createRepository } from '../../repository/index.js';
import { flagCommand } from '../command.js';

const usage =
  'pitwall backtest [--from SEASON] [--to SEASON] (default 2022–2024) [--json FILE] [--svg-dir DIR (default: reliability/ beside --json)] [--dump DIR (a scratch in-memory database; else the configured one)] [--train-seasons N] [--races-per-season N] [--epochs N] [--parts KEY]\n' +
  '       pitwall backtest --merge KEY [--json FILE]';

/**
 * Walk-forward backtest of the race model beside the baselines. With --dump the dump is
 * first ingested into a scratch in-memory database (the configured one is not touched).
 * As a Cloud Run job with several tasks (CLOUD_RUN_TASK_INDEX / _COUNT), each task runs
 * its block of seasons and stores its share under --parts in the artifact store;
 * `--merge KEY` then prints the report of all of them, as one process would have.
 */
export const backtestCommand = flagCommand({
  summary: 'walk-forward backtest of the race model against the baselines (metrics with bootstrap CIs, reliability SVGs)',
  usage,
  flags: {
    from: { type: 'string' },
    to: { type: 'string' },
    json: { type: 'string' },
    'svg-dir': { type: 'string' },
    dump: { type: 'string' },
    'train-seasons': { type: 'string' },
    'races-per-season': { type: 'string' },
    epochs: { type: 'string' },
    parts: { type: 'string' },
    merge: { type: 'string' },
  },
  async run({ config, logger, stdout }, values) {
    const openStore = () => createArtifactStore(config.artifactStoreUri, { gcsApiEndpoint: config.gcsApiEndpoint, projectId: config.gcp.project });
    if (values.merge) {
      const store = await openStore();
      const keys = (await store.list(`${values.merge}/`)).filter((k) => /\/part-\d+\.json$/.test(k));
      if (keys.length === 0) throw new ValidationError(`no backtest parts under ${store.root}/${values.merge}: run the backtest job with --parts ${values.merge} first`);
      const parts = await Promise.all(keys.map(async (k) => JSON.parse((await store.get(k)).toString('utf8')) as BacktestPart));
      const report = reportOf(parts);
      if (values.json) {
        const json = path.resolve(values.json);
        await fs.writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
        logger.info(`report written to ${json}`, { json });
      }
      stdout.write(`${formatTable(report)}\n${formatSeasonTable(report)}`);
      return 0;
    }
    let from = Number(values.from ?? 2022);
    let to = Number(values.to ?? 2024);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from > to) throw new ValidationError(`--from/--to must be seasons with from ≤ to\nusage: ${usage}`);
    const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const task = config.cloudRunTask;
    if (task.count > 1) {
      if (!values.parts) throw new ValidationError(`a backtest over ${task.count} tasks needs --parts KEY (where each task stores its share)\nusage: ${usage}`);
      const mine = taskSeasons(from, to, task.index, task.count);
      if (!mine) {
        logger.info('more tasks than seasons: nothing to do on this task', { task });
        return 0;
      }
      ({ from, to } = mine);
      logger.info('backtest task', { task, fromSeason: from, toSeason: to });
    }

    await setupTensorflow({ logger });
    let db: Database;
    if (values.dump) {
      const { knex, close } = await openPglite(undefined);
      db = { knex, kind: 'pglite', close };
      try {
        await migrateLatest(knex);
        const outcome = await ingestFiles(
          { repo: createRepository(knex), logger, progress: (task, total) => createProgress(logger, task, total) },
          { dump: values.dump },
        );
        if (outcome.runs.some((r) => r.status !== 'succeeded')) {
          throw new ValidationError(`ingesting --dump ${values.dump} failed: ${outcome.runs.map((r) => r.error).join('; ')}`);
        }
      } catch (err) {
        // The scratch database would keep the process alive.
        await db.close();
        throw err;
      }
    } else {
      db = await openDatabase(config.database);
      // A fresh clone's database has no schema yet: migrate, then say what is missing.
      await migrateLatest(db.knex);
    }
    try {
      const repo = createRepository(db.knex);
      const trainSeasons = int(values['train-seasons']) ?? 11;
      // The first warm-up network trains on the seasons before it, and their features read their own window.
      const history = await repo.history.load({ fromSeason: from - WARMUP_SEASONS - trainSeasons - FEATURE_HISTORY_SEASONS, toSeason: to });
      const withResults = new Set(history.results.map((r) => r.raceId));
      const firstNeeded = from - WARMUP_SEASONS - trainSeasons;
      if (!history.races.some((r) => r.season <= firstNeeded + 1 && withResults.has(r.id)) || !history.races.some((r) => r.season >= from && withResults.has(r.id))) {
        throw new ValidationError(
          `the database lacks the seasons this backtest needs: results of ${firstNeeded}–${to} (the first warm-up network trains on the ${trainSeasons} seasons before ${from - WARMUP_SEASONS}); ingest them (npx pitwall ingest --dump DIR) or pass --dump DIR`,
        );
      }
      const perSeason = int(values['races-per-season']);
      const total = [...Array(to - from + 1).keys()]
        .map((k) => history.races.filter((r) => r.season === from + k).length)
        .reduce((a, n) => a + (perSeason ? Math.min(perSeason, n) : n), 0);
      const bar = createProgress(logger, 'backtest', total + (to - from + 1) + WARMUP_SEASONS);
      const result = await runBacktest(history, {
        fromSeason: from,
        toSeason: to,
        trainSeasons,
        racesPerSeason: perSeason,
        fit: values.epochs ? { epochs: Number(values.epochs) } : {},
        onSeasonStart: (s, races) => bar.tick(1, races ? `training the ${s} network` : `training the ${s} warm-up network`),
        onRace: (label) => bar.tick(1, label),
      });
      bar.stop();
      const { report } = result;

      // Absolute paths: the log says where the files are, whatever the working directory was.
      const json = values.json ? path.resolve(values.json) : undefined;
      const svgDir = values['svg-dir'] ? path.resolve(values['svg-dir']) : json ? path.join(path.dirname(json), 'reliability') : undefined;
      const diagrams: Record<string, string> = {};
      if (svgDir) {
        await fs.mkdir(svgDir, { recursive: true });
        for (const k of ['win', 'podium', 'top10', 'dnf'] as const) {
          const svg = await reliabilitySvg(`Reliability: P(${k}), ${from}–${to}`, [
            { name: 'model', pairs: result.scored.model.flatMap((r) => r[k]) },
            { name: 'slot lookup', pairs: result.scored.slotLookup.flatMap((r) => r[k]) },
          ]);
          const file = path.join(svgDir, `reliability-${k}.svg`);
          await fs.writeFile(file, svg);
          diagrams[k] = file;
        }
      }
      const out = { ...report, reliabilityDiagrams: diagrams };
      if (json) {
        await fs.mkdir(path.dirname(json), { recursive: true });
        await fs.writeFile(json, `${JSON.stringify(out, null, 2)}\n`);
      }
      let part: string | undefined;
      if (values.parts) {
        const store = await openStore();
        const key = `${values.parts}/part-${String(task.index).padStart(3, '0')}.json`;
        await store.put(key, JSON.stringify(result.part), 'application/json');
        part = `${store.root}/${key}`;
      }
      const written = [json, ...Object.values(diagrams), part].filter((f): f is string => f !== undefined);
      if (written.length > 0) logger.info(`wrote ${written.join(', ')}`, { ...(json ? { json } : {}), reliabilityDiagrams: diagrams, ...(part ? { part } : {}) });
      else logger.info('nothing written: pass --json FILE (and --svg-dir DIR) to keep the report and its reliability diagrams');
      stdout.write(`${formatTable(report)}\n${formatSeasonTable(report)}`);
      return 0;
    } finally {
      await db.close();
    }
  },
});

/** Seasons that began new technical regulations (the named test cases of a new pecking order). */
const REGULATION_RESETS = new Set([2009, 2014, 2017, 2022, 2026]);

/**
 * Season by season, the model beside the baseline each goal compares it with; ✗ marks a
 * season that misses the goal (the README's table is this one).
 */
export function formatSeasonTable(report: BacktestReport): string {
  const L = report.baselines.slotLookup;
  const S = report.baselines.slotMedian;
  const G = report.baselines.gridOrder;
  const seasons = Object.keys(report.model.bySeason).sort();
  type R = Record<string, { value: number }>;
  const fmt = (v: number | undefined, d: number) => (v === undefined || !Number.isFinite(v) ? '' : v.toFixed(d));
  const pair = (m: number | undefined, b: number | undefined, d: number, missed: boolean) => `${fmt(m, d)} / ${fmt(b, d)}${missed ? ' ✗' : ''}`;
  const row = (label: string, m: R, l: R, sm: R, g: R) => {
    const v = (r: R, k: string) => r[k]?.value ?? NaN;
    const cells = [
      pair(v(m, 'winnerNll'), v(l, 'winnerNll'), 3, v(m, 'winnerNll') > v(l, 'winnerNll') + 0.02),
      ...(['brierWin', 'brierPodium', 'brierTop10'] as const).map((k) => pair(v(m, k), v(l, k), 4, v(m, k) > v(l, k))),
      pair(v(m, 'positionMae'), v(sm, 'positionMae'), 2, v(m, 'positionMae') > v(sm, 'positionMae')),
      pair(v(m, 'spearman'), v(g, 'spearman'), 3, !(v(m, 'spearman') > v(g, 'spearman'))),
      `${(100 * v(m, 'winnerCorrect')).toFixed(0)}% / ${(100 * v(g, 'winnerCorrect')).toFixed(0)}%`,
      `${fmt(v(m, 'eceWin'), 3)}${v(m, 'eceWin') > 0.03 ? ' ✗' : ''}`,
      `${fmt(v(m, 'gapCoverage80'), 2)}${v(m, 'gapCoverage80') < 0.75 || v(m, 'gapCoverage80') > 0.85 ? ' ✗' : ''}`,
      pair(v(m, 'logLossDnf'), v(m, 'logLossDnfConstantRate'), 3, !(v(m, 'logLossDnf') < v(m, 'logLossDnfConstantRate'))),
    ];
    return `| ${label} | ${v(m, 'races')} | ${cells.join(' | ')} |`;
  };
  return [
    'per season: model / baseline (✗: the season misses its goal: winner NLL ≤ lookup + 0.02, Brier and MAE no worse',
    'than the baseline, Spearman above grid order, ECE win ≤ 0.03, 80% gap cover 75–85%, DNF log loss below the constant)',
    '',
    '| season | races | winner NLL / lookup | Brier win / lookup | Brier podium / lookup | Brier top 10 / lookup | position MAE / slot median | Spearman / grid | winner / grid | ECE win | 80% gap cover | DNF log loss / constant |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...seasons.map((s) => row(REGULATION_RESETS.has(Number(s)) ? `${s} (reset)` : s, report.model.bySeason[s]!, L.bySeason[s]!, S.bySeason[s]!, G.bySeason[s]!)),
    ...(seasons.length > 1 ? [row('pooled', report.model.pooled, L.pooled, S.pooled, G.pooled)] : []),
    '',
  ].join('\n');
}

const shown: [string, string, number][] = [
  ['positionMae', 'position MAE (median)', 2],
  ['expectedPositionMae', 'position MAE (expected)', 2],
  ['rankMae', 'rank MAE', 2],
  ['spearman', 'Spearman', 3],
  ['winnerCorrect', 'winner correct', 3],
  ['podiumOverlap', 'podium overlap', 3],
  ['top10Overlap', 'top-10 overlap', 3],
  ['winnerNll', 'winner NLL', 3],
  ['brierWin', 'Brier win', 4],
  ['brierPodium', 'Brier podium', 4],
  ['brierTop10', 'Brier top 10', 4],
  ['brierDnf', 'Brier DNF', 4],
  ['logLossDnf', 'log loss DNF', 4],
  ['logLossDnfConstantRate', 'log loss DNF (const)', 4],
  ['eceWin', 'ECE win', 4],
  ['ecePodium', 'ECE podium', 4],
  ['eceTop10', 'ECE top 10', 4],
  ['eceDnf', 'ECE DNF', 4],
  ['gapCoverage80', '80% gap coverage', 3],
];

/** A Markdown table: the model with its 95% CI beside the baselines, pooled. */
export function formatTable(report: BacktestReport): string {
  const m = report.model.pooled;
  const b = report.baselines;
  const lines = [
    `walk-forward ${report.fromSeason}–${report.toSeason}, ${report.races} races (pooled; model with bootstrap 95% CI over races)`,
    '',
    '| metric | model | 95% CI | network alone | grid order | slot median | slot lookup |',
    '|---|---|---|---|---|---|---|',
    ...shown.map(([k, label, d]) => {
      const f = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '' : v.toFixed(d));
      return `| ${label} | ${f(m[k]?.value)} | ${f(m[k]?.ciLow)}–${f(m[k]?.ciHigh)} | ${f(report.network.pooled[k]?.value)} | ${f(b.gridOrder.pooled[k]?.value)} | ${f(b.slotMedian.pooled[k]?.value)} | ${f(b.slotLookup.pooled[k]?.value)} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
