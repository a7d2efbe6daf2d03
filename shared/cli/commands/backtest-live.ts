import fs from 'node:fs/promises';
import path from 'node:path';
import { openDatabase } from '../../db/connect.js';
import { FEATURE_HISTORY_SEASONS } from '../../features/race-features.js';
import { defaultLiveSplit, runFinishBacktest, type FinishBacktestReport } from '../../live/finish-backtest-run.js';
import type { ScoredForecaster } from '../../live/finish-backtest.js';
import type { PriorEntry } from '../../live/finish-forecast.js';
import { createProgress } from '../../log/progress.js';
import { setupTensorflow } from '../../models/tf.js';
import { defaultBacktest, runPitBacktest } from '../../pits/backtest.js';
import { createRepository, type Repository } from '../../repository/index.js';
import { runBacktest, WARMUP_SEASONS } from '../../training/backtest.js';
import type { Logger } from '../../log/logger.js';
import { writeJsonReport } from '../json-report.js';
import { flagCommand } from '../command.js';

const usage = 'pitwall backtest-live [--json FILE] [--skip-pits] [--priors FILE (a cache of the pre-race forecasts: read if present, else written)]';

/** The pre-race forecast of every race of the seasons, walk-forward, as production froze them (the race model's backtest). */
async function preRacePriors(repo: Repository, logger: Logger, fromSeason: number, toSeason: number): Promise<Map<number, PriorEntry[]>> {
  const trainSeasons = 11;
  const history = await repo.history.load({ fromSeason: fromSeason - WARMUP_SEASONS - trainSeasons - FEATURE_HISTORY_SEASONS, toSeason });
  const total = history.races.filter((r) => r.season >= fromSeason && r.season <= toSeason).length + (toSeason - fromSeason + 1) + WARMUP_SEASONS;
  const bar = createProgress(logger, 'pre-race forecasts', total);
  const result = await runBacktest(history, {
    fromSeason,
    toSeason,
    trainSeasons,
    resamples: 1,
    onSeasonStart: (s, races) => bar.tick(1, races ? `training the ${s} network` : `training the ${s} warm-up network`),
    onRace: (label) => bar.tick(1, label),
  });
  bar.stop();
  return new Map(
    result.forecasts.model.map((f) => [
      f.raceId,
      f.drivers.map((d) => ({
        driverId: d.driverId,
        pWin: d.pWin,
        pPodium: d.pPodium,
        pPoints: d.pPoints,
        pDnf: d.pDnf,
        expectedPosition: d.expectedPosition,
        gapSeconds: d.gapSeconds,
        gapLowSeconds: d.gapLowSeconds,
        gapHighSeconds: d.gapHighSeconds,
      })),
    ]),
  );
}

async function loadPriors(file: string | undefined, compute: () => Promise<Map<number, PriorEntry[]>>, logger: Logger): Promise<Map<number, PriorEntry[]>> {
  if (file) {
    try {
      const cached = JSON.parse(await fs.readFile(file, 'utf8')) as [number, PriorEntry[]][];
      logger.info(`pre-race forecasts read from ${file}`, { file, races: cached.length });
      return new Map(cached);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  const priors = await compute();
  if (file) {
    await fs.writeFile(file, JSON.stringify([...priors]));
    logger.info(`pre-race forecasts written to ${file}`, { file, races: priors.size });
  }
  return priors;
}

/** A number at the first of `paths` present in the pit report (its fields may grow while the pit model changes). */
function pick(obj: unknown, ...paths: string[]): number | null {
  for (const p of paths) {
    let v: unknown = obj;
    for (const k of p.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

export interface PitFigures {
  nextLapPrAuc: number | null;
  nextLapF1: number | null;
  within3PrAuc: number | null;
  firstStopLapMae: number | null;
}

function pitFigures(method: unknown): PitFigures {
  return {
    nextLapPrAuc: pick(method, 'prAuc', 'nextLap.prAuc', 'within1.prAuc'),
    nextLapF1: pick(method, 'f1', 'nextLap.f1', 'within1.f1'),
    within3PrAuc: pick(method, 'within3.prAuc', 'within3PrAuc', 'prAucWithin3', 'withinLaps.3.prAuc'),
    firstStopLapMae: pick(method, 'firstStopLapMae'),
  };
}

type Finish = FinishBacktestReport['test']['model'];
const FRACTIONS = ['0.25', '0.5', '0.75'] as const;
const METRICS = ['winnerLogLoss', 'brierPodium', 'brierPoints'] as const;

function finishFigures(s: ScoredForecaster, choose: ScoredForecaster) {
  return { byFraction: s.byFraction, ece: s.ece, eceByKind: s.eceByKind, choiceSeason: { byFraction: choose.byFraction, ece: choose.ece } };
}

export function liveGoals(test: FinishBacktestReport['test'], pits: PitFigures | null, forecastMs: number) {
  const beats: Record<string, { model: number; currentOrder: number; preRace: number; met: boolean }> = {};
  for (const f of FRACTIONS) {
    for (const k of METRICS) {
      const m = test.model.byFraction[f]?.[k] ?? NaN;
      const c = test.currentOrder.byFraction[f]?.[k] ?? NaN;
      const p = test.preRace.byFraction[f]?.[k] ?? NaN;
      beats[`${k}@${f}`] = { model: m, currentOrder: c, preRace: p, met: m < c && m < p };
    }
  }
  const goal = (value: number | null, target: number, better: 'below' | 'above') => ({
    value,
    target,
    met: value !== null && (better === 'below' ? value <= target : value >= target),
  });
  return {
    finishBeatsBothBaselines: { met: Object.values(beats).every((b) => b.met), each: beats },
    finishEce: goal(test.model.ece, 0.03, 'below'),
    finishForecastMs: goal(forecastMs, 100, 'below'),
    ...(pits
      ? {
          pitNextLapPrAuc: goal(pits.nextLapPrAuc, 0.35, 'above'),
          pitNextLapF1: goal(pits.nextLapF1, 0.45, 'above'),
          pitWithin3PrAuc: goal(pits.within3PrAuc, 0.5, 'above'),
          firstStopLapMae: goal(pits.firstStopLapMae, 6, 'below'),
        }
      : {}),
  };
}

export function formatLiveTable(r: FinishBacktestReport, pits: { model: PitFigures; tyreLifeHazard: PitFigures; circuitMedian: PitFigures } | null): string {
  const f = (v: number | null | undefined, d: number) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));
  const rows: string[][] = [];
  const table = (t: Finish, c: Finish, p: Finish, chosenModel: Finish) => {
    for (const fr of FRACTIONS) {
      for (const [k, label, d] of [
        ['winnerLogLoss', 'winner log loss', 3],
        ['brierPodium', 'Brier podium', 4],
        ['brierPoints', 'Brier points', 4],
      ] as const) {
        const m = t.byFraction[fr]?.[k];
        const best = m !== undefined && m < (c.byFraction[fr]?.[k] ?? NaN) && m < (p.byFraction[fr]?.[k] ?? NaN);
        rows.push([`${label} @ ${Number(fr) * 100}%`, `${f(m, d)}${best ? '' : ' ✗'}`, f(c.byFraction[fr]?.[k], d), f(p.byFraction[fr]?.[k], d), f(chosenModel.byFraction[fr]?.[k], d)]);
      }
    }
    rows.push(['ECE (win, podium, points; 3 fractions)', `${f(t.ece, 4)}${t.ece <= 0.03 ? '' : ' ✗'}`, f(c.ece, 4), f(p.ece, 4), f(chosenModel.ece, 4)]);
  };
  table(r.test.model, r.test.currentOrder, r.test.preRace, r.choose.model);
  const header = ['live finishing forecast', 'model (test)', 'current order', 'pre-race', `model (${defaultLiveSplit.choose}, choice)`];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const out = [
    `live backtest: fit ${defaultLiveSplit.train.join('–')}, choose ${defaultLiveSplit.choose}, test ${defaultLiveSplit.test} R1–R${defaultLiveSplit.testMaxRound}: ${r.races.test} test races (${r.races.train} train, ${r.races.choose} choice); ✗: not better than both baselines`,
    `one forecast of ${r.forecastMs.cars} cars: median ${f(r.forecastMs.median, 1)} ms, worst ${f(r.forecastMs.max, 1)} ms (${r.params.samples} samples)`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    '',
  ];
  if (pits) {
    const prow: [string, keyof PitFigures, number, string][] = [
      ['next-lap PR-AUC', 'nextLapPrAuc', 3, '≥ 0.35'],
      ['next-lap F1', 'nextLapF1', 3, '≥ 0.45'],
      ['within-3 PR-AUC', 'within3PrAuc', 3, '≥ 0.50'],
      ['first-stop lap MAE (pre-race)', 'firstStopLapMae', 2, '≤ 6'],
    ];
    const ph = ['pit stops', 'model', 'tyre-life hazard', "last year's circuit median", 'goal'];
    const pr = prow.map(([label, k, d, goal]) => [label, f(pits.model[k], d), f(pits.tyreLifeHazard[k], d), f(pits.circuitMedian[k], d), goal]);
    const pw = ph.map((h, i) => Math.max(h.length, ...pr.map((x) => x[i]!.length)));
    const pl = (cells: string[]) => cells.map((c, i) => c.padEnd(pw[i]!)).join('  ');
    out.push(pl(ph), pl(pw.map((w) => '-'.repeat(w))), ...pr.map(pl), '');
  }
  return out.join('\n');
}

export const backtestLiveCommand = flagCommand({
  summary: 'live race backtest: the finishing forecast at 25/50/75% beside the current-order lookup and the pre-race forecast, and the pit model (fit 2019–2022, choose 2023, test 2024 R1–R18)',
  usage,
  flags: { json: { type: 'string' }, 'skip-pits': { type: 'boolean' }, priors: { type: 'string' } },
  async run({ config, logger, stdout }, values) {
    const backend = await setupTensorflow({ logger });
    const db = await openDatabase(config.database);
    try {
      const repo = createRepository(db.knex);
      const split = defaultLiveSplit;
      const priors = await loadPriors(values.priors ? path.resolve(values.priors) : undefined, () => preRacePriors(repo, logger, split.train[0], split.test), logger);
      const finish = await runFinishBacktest({ repo, logger, priors, progress: (task, total) => createProgress(logger, task, total) }, split);
      let pits: { model: PitFigures; tyreLifeHazard: PitFigures; circuitMedian: PitFigures; report: unknown } | null = null;
      if (!values['skip-pits']) {
        const report = await runPitBacktest({ repo, logger }, defaultBacktest);
        pits = {
          model: pitFigures(report.model),
          tyreLifeHazard: pitFigures(report.baselines.tyreLifeHazard),
          circuitMedian: pitFigures(report.baselines.lastYearCircuitMedian),
          report,
        };
      }
      const out = {
        model: {
          finish: finishFigures(finish.test.model, finish.choose.model),
          params: finish.params,
          forecastMs: finish.forecastMs,
          ...(pits ? { pits: pits.model } : {}),
        },
        ...(pits ? { tyreLifeHazard: { pits: pits.tyreLifeHazard } } : {}),
        currentOrder: { finish: finishFigures(finish.test.currentOrder, finish.choose.currentOrder) },
        preRace: { finish: finishFigures(finish.test.preRace, finish.choose.preRace) },
        ...(pits ? { circuitMedian: { pits: pits.circuitMedian } } : {}),
        goals: liveGoals(finish.test, pits?.model ?? null, finish.forecastMs.max),
        meta: {
          train: `${split.train[0]}–${split.train[1]}`,
          choose: String(split.choose),
          test: `${split.test} R1–R${split.testMaxRound}`,
          races: finish.races,
          laps: finish.laps,
          fractions: [0.25, 0.5, 0.75],
          ece: 'ECE over P(win), P(podium) and P(points) of every starter pooled over the three fractions, 10 equal-width bins',
          paramTrials: finish.trials,
          skippedRaces: finish.skipped,
          backend,
          pitsSkipped: !pits,
          ...(pits ? { pitReport: pits.report } : {}),
        },
      };
      stdout.write(`${formatLiveTable(finish, pits)}\n`);
      await writeJsonReport(values.json, out, logger);
      return 0;
    } finally {
      await db.close();
    }
  },
});
