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
    ['PR-AUC', (m) => fmt(m.prAuc), `≥ 0.45 and ≥ 2× hazard (${fmt(2 * (r.baselines.tyreLifeHazard.prAuc ?? NaN))})`],
    ['threshold (chosen on ' + r.split.threshold + ')', (m) => fmt(m.threshold), ''],
    ['precision', (m) => fmt(m.precision), ''],
    ['recall', (m) => fmt(m.recall), ''],
    ['F1', (m) => fmt(m.f1), '≥ 0.5'],
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
    `test laps ${r.testLaps} (natural base rate ${(100 * r.baseRate).toFixed(2)}%, not resampled), stops ${r.testStops}; model fit ${r.trainSeconds.toFixed(0)} s, epoch ${r.epochKept} kept (PR-AUC on ${r.split.threshold} by epoch: ${r.thresholdSeasonPrAucByEpoch.map((x) => x.toFixed(3)).join(' ')})`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
    '',
    ...(r.skippedRaces.length ? [`races left out: ${r.skippedRaces.map((s) => `${s.season} R${s.round} (${s.reason})`).join('; ')}`] : []),
  ].join('\n');
}
