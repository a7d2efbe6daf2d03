import type { History } from '../domain/history.js';
import { indexHistory, type HistoryIndex } from '../features/race-features.js';
import { preWeekendWalk } from '../models/pre-weekend/model.js';
import { championshipInput, CHAMPIONSHIP_SAMPLES, CHAMPIONSHIP_STRENGTH_SD } from './championship-input.js';
import { rankBaseline, rankBaselineSettings, roundAt, type ChampionRankTrace, type RankBaselineSettings } from './rank-baseline.js';
import { simulateChampionship, type ChampionshipOdds } from './simulate-championship.js';

/**
 * Walk-forward backtest of the title odds: the pre-weekend learner walks every race from
 * `warmupFrom` in calendar order (models/pre-weekend/model.ts preWeekendWalk); after each round
 * of a test season the Monte Carlo runs from the standings after it with the learner's state
 * that has learnt it, and the probability it gives the real champion is recorded, beside the
 * rank baseline's (rank-baseline.ts, fitted on the seasons before). Log loss = −ln P(real
 * champion), a Monte Carlo share floored at half a sample (0.5 / samples).
 */

export type Championship = 'drivers' | 'constructors';
export const championships: Championship[] = ['drivers', 'constructors'];
export const checkpoints = { third: 1 / 3, half: 1 / 2, twoThirds: 2 / 3 } as const;
export type Checkpoint = keyof typeof checkpoints;

export interface ChampionshipBacktestOptions {
  fromSeason: number;
  toSeason: number;
  warmupFrom?: number;
  hours: number;
  samples?: number;
  baseline?: RankBaselineSettings;
  /** The season-long strength SD of the Monte Carlo (default CHAMPIONSHIP_STRENGTH_SD). */
  strengthSd?: number;
  /** Other SDs to score beside it in the same walk (a validation run choosing the SD). */
  compareSd?: readonly number[];
  onRound?: (label: string) => void;
}

export interface RoundRecord {
  round: number;
  /** P(real champion) from the Monte Carlo and from the baseline, per championship. */
  model: Record<Championship, number>;
  baseline: Record<Championship, number>;
  /** P(real champion) under each compared strength SD. */
  variants?: Record<string, Record<Championship, number>>;
}

export interface PairLoss {
  model: number;
  baseline: number;
}

export interface SeasonRecord {
  rounds: number;
  champion: Record<Championship, number>;
  perRound: RoundRecord[];
  logLoss: Record<Checkpoint, Record<Championship, PairLoss>>;
}

export interface ChampionshipBacktestReport {
  fromSeason: number;
  toSeason: number;
  warmupFrom: number;
  hours: number;
  samples: number;
  baseline: RankBaselineSettings;
  strengthSd: number;
  seasons: Record<string, SeasonRecord>;
  /** Mean log loss over the seasons at each checkpoint. */
  pooled: Record<Checkpoint, Record<Championship, PairLoss>>;
  /** With compareSd: the pooled mean log loss at each checkpoint under each SD, and over every round. */
  variants?: Record<string, { checkpoints: Record<Checkpoint, Record<Championship, number>>; everyRound: Record<Championship, number> }>;
}

/** Each season's rounds and its champions' standings positions after every round. */
export function championTraces(ix: HistoryIndex): Record<Championship, ChampionRankTrace[]> {
  const out: Record<Championship, ChampionRankTrace[]> = { drivers: [], constructors: [] };
  for (const [season, races] of ix.seasonRaces) {
    for (const c of championships) {
      const table = c === 'drivers' ? ix.driverStandings : ix.constructorStandings;
      const withStandings = races.filter((r) => table.get(r.id)?.length);
      const last = withStandings.at(-1);
      const champion = last ? table.get(last.id)!.find((s) => s.position === 1)?.entityId : undefined;
      if (!last || champion === undefined || last.round !== races.at(-1)!.round) continue;
      out[c].push({
        season,
        rounds: races.length,
        championRank: races.map((r) => table.get(r.id)?.find((s) => s.entityId === champion)?.position ?? null),
      });
    }
  }
  return out;
}

export function runChampionshipBacktest(history: History, options: ChampionshipBacktestOptions): ChampionshipBacktestReport {
  const { fromSeason, toSeason, hours, samples = CHAMPIONSHIP_SAMPLES, baseline = rankBaselineSettings, strengthSd = CHAMPIONSHIP_STRENGTH_SD, compareSd = [] } = options;
  const warmupFrom = options.warmupFrom ?? fromSeason - 10;
  const ix = indexHistory(history);
  const traces = championTraces(ix);
  const floor = 0.5 / samples;
  const seasons: Record<string, SeasonRecord> = {};
  const races = history.races.filter((r) => r.season >= warmupFrom && r.season <= toSeason);
  for (const { race, learner } of preWeekendWalk(ix, races, hours)) {
    if (race.season < fromSeason || !ix.byRace.has(race.id) || !ix.driverStandings.get(race.id)?.length) continue;
    const trace = Object.fromEntries(championships.map((c) => [c, traces[c].find((t) => t.season === race.season)])) as Record<Championship, ChampionRankTrace | undefined>;
    if (!trace.drivers || !trace.constructors) continue;
    const record = (seasons[String(race.season)] ??= {
      rounds: trace.drivers.rounds,
      champion: { drivers: NaN, constructors: NaN },
      perRound: [],
      logLoss: {} as SeasonRecord['logLoss'],
    });
    const pool = learner.current();
    const input = championshipInput(ix, race, pool, { samples, strengthSd });
    const odds = simulateChampionship(input);
    const pOf = (entities: ChampionshipOdds, c: Championship, champion: number) => Math.max(floor, (c === 'drivers' ? entities.drivers : entities.constructors).find((e) => e.id === champion)?.pTitle ?? 0);
    const variantOdds = compareSd.map((sd) => [String(sd), simulateChampionship({ ...input, strengthSd: sd })] as const);
    const variants: Record<string, Record<Championship, number>> = Object.fromEntries(variantOdds.map(([k]) => [k, {} as Record<Championship, number>]));
    const finalRace = ix.seasonRaces.get(race.season)!.at(-1)!;
    const model = {} as Record<Championship, number>;
    const base = {} as Record<Championship, number>;
    for (const c of championships) {
      const finalTable = (c === 'drivers' ? ix.driverStandings : ix.constructorStandings).get(finalRace.id)!;
      const champion = finalTable.find((s) => s.position === 1)!.entityId;
      record.champion[c] = champion;
      const entities = c === 'drivers' ? odds.drivers : odds.constructors;
      model[c] = pOf(odds, c, champion);
      for (const [k, v] of variantOdds) variants[k]![c] = pOf(v, c, champion);
      const rank = trace[c]!.championRank[race.round - 1];
      const probs = rankBaseline(traces[c], race.season, race.round / record.rounds, entities.length, baseline);
      base[c] = rank == null ? floor : (probs[rank - 1] ?? floor);
    }
    record.perRound.push({ round: race.round, model, baseline: base, ...(compareSd.length ? { variants } : {}) });
    options.onRound?.(`${race.season} R${race.round}`);
  }
  for (const record of Object.values(seasons)) {
    for (const [k, f] of Object.entries(checkpoints) as [Checkpoint, number][]) {
      const at = record.perRound.find((r) => r.round === roundAt(f, record.rounds));
      record.logLoss[k] = Object.fromEntries(championships.map((c) => [c, { model: at ? -Math.log(at.model[c]) : NaN, baseline: at ? -Math.log(at.baseline[c]) : NaN }])) as Record<Championship, PairLoss>;
    }
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const pooled = Object.fromEntries(
    (Object.keys(checkpoints) as Checkpoint[]).map((k) => [
      k,
      Object.fromEntries(championships.map((c) => {
        const rows = Object.values(seasons).map((s) => s.logLoss[k][c]).filter((l) => Number.isFinite(l.model));
        return [c, { model: mean(rows.map((l) => l.model)), baseline: mean(rows.map((l) => l.baseline)) }];
      })),
    ]),
  ) as ChampionshipBacktestReport['pooled'];
  const variantReport = compareSd.length
    ? Object.fromEntries(compareSd.map((sd) => {
        const k = String(sd);
        const all = Object.values(seasons);
        return [k, {
          checkpoints: Object.fromEntries((Object.entries(checkpoints) as [Checkpoint, number][]).map(([name, f]) => [name, Object.fromEntries(championships.map((c) => [c, mean(all.flatMap((s) => s.perRound.filter((r) => r.round === roundAt(f, s.rounds)).map((r) => -Math.log(r.variants![k]![c]))))]))])),
          everyRound: Object.fromEntries(championships.map((c) => [c, mean(all.flatMap((s) => s.perRound.map((r) => -Math.log(r.variants![k]![c]))))])),
        }];
      })) as ChampionshipBacktestReport['variants']
    : undefined;
  return { fromSeason, toSeason, warmupFrom, hours, samples, baseline, strengthSd, seasons, pooled, ...(variantReport ? { variants: variantReport } : {}) };
}
