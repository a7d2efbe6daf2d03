import type { DriverForecast, RaceForecast } from '../domain/forecast.js';
import { postQualifyingFreeze, type History } from '../features/history.js';
import { indexHistory } from '../features/race-features.js';
import { baselineKinds, baselinePrediction, fitSlotTable, type BaselineKind } from '../models/race/baselines.js';
import { fitGapTable } from '../models/race/gap-table.js';
import { predictRace } from '../models/race/race-model.js';
import { createFeatureCache } from '../training/race-dataset.js';
import { fitRaceModel, type FitOptions } from '../training/train-race-model.js';
import { scoreRace, summarise, type MetricReport, type ScoredRace } from './score-race.js';

/**
 * Walk-forward backtest. For each test season the model is trained only on the
 * `trainSeasons` seasons before it (default 11, chosen on a 2019–2021 validation backtest; calibration included, see fitRaceModel); within the
 * season every race is forecast at its post-qualifying freeze from features that update
 * race by race (form, standings, circuit history), with the season's weights fixed. The
 * baselines are fitted on the same training races and scored in the same run.
 */
export interface BacktestOptions {
  fromSeason: number;
  toSeason: number;
  trainSeasons?: number;
  /** Only the first N races of each test season (for quick runs and tests). */
  racesPerSeason?: number;
  fit?: FitOptions;
  resamples?: number;
  onRace?: (label: string) => void;
  onSeasonStart?: (season: number, races: number) => void;
}

export type Competitor = 'model' | BaselineKind;

export interface BacktestResult {
  scored: Record<Competitor, ScoredRace[]>;
  forecasts: Record<Competitor, RaceForecast[]>;
  report: BacktestReport;
}

export interface CompetitorReport {
  pooled: MetricReport;
  bySeason: Record<string, MetricReport>;
}

export interface BacktestReport {
  fromSeason: number;
  toSeason: number;
  trainSeasons: number;
  races: number;
  model: CompetitorReport & { temperatureBySeason: Record<string, number>; badRaceBySeason: Record<string, number> };
  baselines: Record<BaselineKind, CompetitorReport>;
}

export async function runBacktest(history: History, options: BacktestOptions): Promise<BacktestResult> {
  const trainSeasons = options.trainSeasons ?? 11;
  const ix = indexHistory(history);
  const featuresOf = createFeatureCache(ix);
  const hasResults = (id: number) => (ix.byRace.get(id)?.length ?? 0) > 0;
  const competitors: Competitor[] = ['model', ...baselineKinds];
  const scored = Object.fromEntries(competitors.map((c) => [c, [] as ScoredRace[]])) as Record<Competitor, ScoredRace[]>;
  const forecasts = Object.fromEntries(competitors.map((c) => [c, [] as RaceForecast[]])) as Record<Competitor, RaceForecast[]>;
  const temperatureBySeason: Record<string, number> = {};
  const badRaceBySeason: Record<string, number> = {};

  for (let season = options.fromSeason; season <= options.toSeason; season++) {
    const trainIds = history.races
      .filter((r) => r.season >= season - trainSeasons && r.season < season && hasResults(r.id))
      .map((r) => r.id);
    let testRaces = history.races.filter((r) => r.season === season && hasResults(r.id)).sort((a, b) => a.round - b.round);
    if (options.racesPerSeason) testRaces = testRaces.slice(0, options.racesPerSeason);
    if (testRaces.length === 0) continue;
    options.onSeasonStart?.(season, testRaces.length);

    const model = await fitRaceModel(ix, featuresOf, trainIds, options.fit);
    temperatureBySeason[season] = model.spec.temperature;
    badRaceBySeason[season] = model.spec.badRace ?? 0;
    const trainingRaces = trainIds.map((id) => ({ qualifying: qualifyingOf(history, id), results: ix.byRace.get(id) ?? [] }));
    const slotTable = fitSlotTable(trainingRaces);
    const gapTable = fitGapTable(trainingRaces.map((r) => r.results));
    const trainRows = trainingRaces.flatMap((r) => r.results);
    const dnfRate = trainRows.filter((r) => r.position === null).length / Math.max(1, trainRows.length);
    try {
      for (const race of testRaces) {
        const asOf = postQualifyingFreeze(race);
        const features = featuresOf(race.id);
        const results = ix.byRace.get(race.id) ?? [];
        const make = (version: string, drivers: DriverForecast[]): RaceForecast => ({ raceId: race.id, asOf, modelVersion: version, drivers });
        const made: Record<Competitor, RaceForecast> = {
          model: make(`backtest-${season}`, predictRace(model, features)),
          gridOrder: make('baseline-gridOrder', baselinePrediction('gridOrder', features, slotTable, gapTable)),
          slotMedian: make('baseline-slotMedian', baselinePrediction('slotMedian', features, slotTable, gapTable)),
          slotLookup: make('baseline-slotLookup', baselinePrediction('slotLookup', features, slotTable, gapTable)),
        };
        for (const c of competitors) {
          forecasts[c].push(made[c]);
          const s = scoreRace(made[c], season, results, dnfRate);
          if (s) scored[c].push(s);
        }
        options.onRace?.(`${season} R${race.round}`);
      }
    } finally {
      model.net.dispose();
    }
  }

  const resamples = options.resamples ?? 1000;
  const reportFor = (races: ScoredRace[]): CompetitorReport => {
    const seasons = [...new Set(races.map((r) => r.season))].sort();
    return {
      pooled: summarise(races, { resamples }),
      bySeason: Object.fromEntries(seasons.map((s) => [String(s), summarise(races.filter((r) => r.season === s), { resamples })])),
    };
  };
  return {
    scored,
    forecasts,
    report: {
      fromSeason: options.fromSeason,
      toSeason: options.toSeason,
      trainSeasons,
      races: scored.model.length,
      model: { ...reportFor(scored.model), temperatureBySeason, badRaceBySeason },
      baselines: Object.fromEntries(baselineKinds.map((k) => [k, reportFor(scored[k])])) as Record<BaselineKind, CompetitorReport>,
    },
  };
}

function qualifyingOf(h: History, raceId: number) {
  return h.qualifying.filter((q) => q.raceId === raceId);
}
