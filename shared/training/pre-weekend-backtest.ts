import type { RaceForecast } from '../domain/forecast.js';
import type { History } from '../domain/history.js';
import { indexHistory } from '../features/race-features.js';
import { fitSlotTableBy } from '../models/race/baselines.js';
import { baselineSlots, preWeekendBaselinePrediction, preWeekendBaselines, type PreWeekendBaseline } from '../models/pre-weekend/baselines.js';
import { predictPreWeekend, PRE_WEEKEND_TABLE_SEASONS, preWeekendGapTable, preWeekendWalk } from '../models/pre-weekend/model.js';
import { poolSummary, type PoolSummary } from '../models/race/pool.js';
import { scoreRace, summarise, type MetricReport, type ScoredRace } from '../evaluation/score-race.js';

/**
 * Walk-forward backtest of the pre-weekend forecast, as production makes it: every race is
 * forecast at its pre-weekend freeze (preWeekendFreeze) from features as of then, by the
 * learner as it stood after the previous race's result (it observes every race from
 * `warmupFrom` on, in calendar order, and is scored only on the test seasons). Beside it, in
 * the same run, the two baselines without a grid (models/pre-weekend/baselines.ts), their slot
 * lookups fitted on the `slotSeasons` seasons before the race that finished before the freeze.
 */
export interface PreWeekendBacktestOptions {
  fromSeason: number;
  toSeason: number;
  /** The first season the learner observes (default: 10 seasons before fromSeason). */
  warmupFrom?: number;
  hours: number;
  slotSeasons?: number;
  resamples?: number;
  onRace?: (label: string) => void;
}

export type PreWeekendCompetitor = 'model' | PreWeekendBaseline;
export const preWeekendCompetitors: PreWeekendCompetitor[] = ['model', ...preWeekendBaselines];

export interface PreWeekendBacktestReport {
  fromSeason: number;
  toSeason: number;
  warmupFrom: number;
  hours: number;
  races: number;
  pooled: Record<PreWeekendCompetitor, MetricReport>;
  bySeason: Record<string, Record<PreWeekendCompetitor, MetricReport>>;
  /** The learner's choices before each test season's first race. */
  poolBySeason: Record<string, PoolSummary>;
}

export interface PreWeekendBacktestResult {
  scored: Record<PreWeekendCompetitor, ScoredRace[]>;
  forecasts: Record<PreWeekendCompetitor, RaceForecast[]>;
  report: PreWeekendBacktestReport;
}

export function runPreWeekendBacktest(history: History, options: PreWeekendBacktestOptions): PreWeekendBacktestResult {
  const { fromSeason, toSeason, hours, slotSeasons = PRE_WEEKEND_TABLE_SEASONS, resamples = 1000 } = options;
  const warmupFrom = options.warmupFrom ?? fromSeason - 10;
  const ix = indexHistory(history);
  const scored = Object.fromEntries(preWeekendCompetitors.map((c) => [c, [] as ScoredRace[]])) as Record<PreWeekendCompetitor, ScoredRace[]>;
  const forecasts = Object.fromEntries(preWeekendCompetitors.map((c) => [c, [] as RaceForecast[]])) as Record<PreWeekendCompetitor, RaceForecast[]>;
  // Each past race's baseline slots, as of its own freeze: what the slot lookups learn from.
  const slotsOf = new Map<PreWeekendBaseline, Map<number, Map<number, number>>>(preWeekendBaselines.map((k) => [k, new Map()]));
  const poolBySeason: Record<string, PoolSummary> = {};
  const races = history.races.filter((r) => r.season >= warmupFrom && r.season <= toSeason);
  const done: number[] = [];
  for (const { race, features, before } of preWeekendWalk(ix, races, hours)) {
    const results = ix.byRace.get(race.id) ?? [];
    const slots = new Map(preWeekendBaselines.map((k) => [k, baselineSlots(k, ix, features)]));
    if (race.season >= fromSeason && results.length) {
      if (!(String(race.season) in poolBySeason)) poolBySeason[String(race.season)] = poolSummary(before);
      const t = features.asOf.getTime();
      const past = done.filter((id) => {
        const r = ix.races.get(id)!;
        return r.season >= race.season - slotSeasons && r.raceStart.getTime() < t;
      });
      const gapTable = preWeekendGapTable(ix, race.season, t);
      const made: Record<PreWeekendCompetitor, RaceForecast['drivers']> = {
        model: predictPreWeekend(before, features, gapTable),
        ...(Object.fromEntries(
          preWeekendBaselines.map((k) => {
            const table = fitSlotTableBy(past.map((id) => ({ slots: slotsOf.get(k)!.get(id)!, results: ix.byRace.get(id) ?? [] })));
            return [k, preWeekendBaselinePrediction(slots.get(k)!, features, table, gapTable)];
          }),
        ) as Record<PreWeekendBaseline, RaceForecast['drivers']>),
      };
      for (const c of preWeekendCompetitors) {
        const forecast: RaceForecast = { raceId: race.id, asOf: features.asOf, modelVersion: c, drivers: made[c] };
        const s = scoreRace(forecast, race.season, results);
        if (!s) continue;
        scored[c].push(s);
        forecasts[c].push(forecast);
      }
      options.onRace?.(`${race.season} R${race.round}`);
    }
    if (results.length) {
      for (const k of preWeekendBaselines) slotsOf.get(k)!.set(race.id, new Map(features.drivers.map((d, i) => [d.driverId, slots.get(k)![i]!])));
      done.push(race.id);
    }
  }
  const seasons = [...new Set(scored.model.map((r) => r.season))].sort();
  const report: PreWeekendBacktestReport = {
    fromSeason,
    toSeason,
    warmupFrom,
    hours,
    races: scored.model.length,
    pooled: Object.fromEntries(preWeekendCompetitors.map((c) => [c, summarise(scored[c], { resamples })])) as Record<PreWeekendCompetitor, MetricReport>,
    bySeason: Object.fromEntries(
      seasons.map((s) => [String(s), Object.fromEntries(preWeekendCompetitors.map((c) => [c, summarise(scored[c].filter((r) => r.season === s), { resamples: 1 })])) as Record<PreWeekendCompetitor, MetricReport>]),
    ),
    poolBySeason,
  };
  return { scored, forecasts, report };
}
