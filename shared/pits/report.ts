import type { BacktestReport, MethodMetrics } from './backtest.js';

/** The backtest as a text table beside its baselines and the issue's goals. */
export function formatBacktest(r: BacktestReport): string {
  const cols: [string, MethodMetrics][] = [
    ['model (BiLSTM; pre-race strategy)', r.model],
    ['BiLSTM rollout', r.model.rollout],
    ['tyre-life hazard', r.baselines.tyreLifeHazard],
    ["last year's circuit median", r.baselines.lastYearCircuitMedian],
  ];
  const fmt = (v: number | undefined, digits = 3) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));
  const rows: [string, (m: MethodMetrics) => string, string][] = [
    ['PR-AUC, next lap', (m) => fmt(m.prAuc), '≥ 0.35'],
    ['PR-AUC, within 3 laps', (m) => fmt(m.prAucWithin3), '≥ 0.50'],
    ['PR-AUC, within 5 laps', (m) => fmt(m.prAucWithin5), ''],
    ['threshold (chosen on ' + r.split.threshold + ')', (m) => fmt(m.threshold), ''],
    ['precision', (m) => fmt(m.precision), ''],
    ['recall', (m) => fmt(m.recall), ''],
    ['F1', (m) => fmt(m.f1), '≥ 0.45'],
    ['hit rate ±1 lap', (m) => fmt(m.hitRateWithin1Lap), ''],
    ['Brier', (m) => fmt(m.brier, 4), ''],
    ['stops: accuracy (pre-race)', (m) => fmt(m.stopsAccuracy), ''],
    ['first-stop lap MAE (pre-race)', (m) => fmt(m.firstStopLapMae, 2), '≤ 6 laps'],
    ['strategy coverage', (m) => fmt(m.coverage), ''],
  ];
  const header = ['metric', ...cols.map(([n]) => n), 'goal'];
  const body = rows.map(([name, get, goal]) => [name, ...cols.map(([, m]) => get(m)), goal]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [
    `pit-stop backtest: train ${r.split.train}, threshold ${r.split.threshold}, test ${r.split.test}`,
    `test laps ${r.testLaps} (natural base rate ${(100 * r.baseRate).toFixed(2)}%; within 3 laps ${(100 * r.baseRateWithin3).toFixed(2)}%, within 5 ${(100 * r.baseRateWithin5).toFixed(2)}%; not resampled), stops ${r.testStops}; model fit ${r.trainSeconds.toFixed(0)} s, epoch ${r.epochKept} kept (PR-AUC on ${r.split.threshold} by epoch: ${r.thresholdSeasonPrAucByEpoch.map((x) => x.toFixed(3)).join(' ')})`,
    `on ${r.split.threshold} (where every choice was made): model PR-AUC ${fmt(r.thresholdSeason.model.prAuc)} / within 3 ${fmt(r.thresholdSeason.model.prAucWithin3)} / within 5 ${fmt(r.thresholdSeason.model.prAucWithin5)}, F1 ${fmt(r.thresholdSeason.model.f1)}; hazard ${fmt(r.thresholdSeason.tyreLifeHazard.prAuc)} / ${fmt(r.thresholdSeason.tyreLifeHazard.prAucWithin3)} / ${fmt(r.thresholdSeason.tyreLifeHazard.prAucWithin5)}, F1 ${fmt(r.thresholdSeason.tyreLifeHazard.f1)}`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
    ...(r.skippedRaces.length ? [`races left out: ${r.skippedRaces.map((s) => `${s.season} R${s.round} (${s.reason})`).join('; ')}`] : []),
  ].join('\n');
}
