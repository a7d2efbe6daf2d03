import type { CarStrategy, Compound } from '../domain/reference.js';
import type { Repository } from '../repository/index.js';
import type { StrategyForecast } from './baselines.js';
import { median } from './features.js';

/**
 * Pre-race strategy forecast from what is known before the start: the race distance, the
 * tyre the car starts on (it is on the car on the grid), how cars on that tyre ran at this
 * circuit in earlier seasons, and how this season's races so far compared with such
 * forecasts (each season's tyres and rules shift the stints).
 *
 * - First stop: the median first-stop share of the distance among cars that started on
 *   the same compound at this circuit in the last season, or the last two or three when
 *   that gives at least `minCars` of them; else the compound's share over the
 *   `seasonsBack` seasons before. Then scaled by the season-to-date factor: the median
 *   of actual / forecast over the season's earlier races, once `minSeasonCars` stops
 *   are known.
 * - Stops: the median stops of cars that ran at least 90% of the distance at this
 *   circuit over the two seasons before; else over the `seasonsBack` seasons before; at
 *   least one (a dry race needs two compounds; red-flag tyre changes are not stops, so a
 *   red-flagged race can show none).
 *
 * Chosen on the 2023 validation season, history from 2019 (first-stop MAE: last season's
 * circuit median 10.1, compound share alone 8.0, same compound at the circuit 7.0, with the
 * season factor 6.4; leaving first stops on laps 1–5 out of the history as incidents made
 * it worse, 6.5–6.7, so they stay; at least one stop: stops accuracy 0.545 → 0.554).
 */

/** A race as the forecast needs it: when, where, and how long. */
export interface RaceSlot {
  season: number;
  round: number;
  circuitId: number;
  totalLaps: number;
}

export interface PreRaceOptions {
  minCars: number;
  minSeasonCars: number;
  seasonsBack: number;
  /** Fewest stops forecast: a dry race needs two compounds, so one stop. */
  minStops: number;
}

export const defaultPreRaceOptions: PreRaceOptions = { minCars: 3, minSeasonCars: 20, seasonsBack: 3, minStops: 1 };

type When = Pick<RaceSlot, 'season' | 'round'>;
const isBefore = (row: When, race: When) => row.season < race.season || (row.season === race.season && row.round < race.round);

export interface PreRaceForecaster {
  forecast(race: RaceSlot, startCompound: Compound | null): StrategyForecast;
  /** The circuit's race distance in its latest race before this one, if any. */
  distance(race: Omit<RaceSlot, 'totalLaps'>): number | undefined;
}

/**
 * A forecaster over `history`: every forecast reads only the rows of races before the one
 * asked about, so one history can serve a whole walk-forward season.
 */
export function createPreRaceForecaster(history: readonly CarStrategy[], o: PreRaceOptions = defaultPreRaceOptions): PreRaceForecaster {
  const stopped = history.filter((r) => r.stops.length > 0);

  /** First-stop share of the distance before the season factor, per race and compound. */
  const shares = new Map<string, number>();
  const baseShare = (race: RaceSlot, compound: Compound | null): number => {
    const key = `${race.season}/${race.circuitId}/${compound}`;
    const cached = shares.get(key);
    if (cached !== undefined) return cached;
    const earlier = stopped.filter((r) => r.season < race.season && r.season >= race.season - o.seasonsBack && r.startCompound === compound);
    const share = (rows: CarStrategy[]) => median(rows.map((r) => r.stops[0]! / r.totalLaps));
    let out = earlier.length > 0 ? share(earlier) : 0.4;
    for (let back = 1; back <= o.seasonsBack; back++) {
      const there = earlier.filter((r) => r.circuitId === race.circuitId && r.season >= race.season - back);
      if (there.length >= o.minCars) {
        out = share(there);
        break;
      }
    }
    shares.set(key, out);
    return out;
  };

  const seasonFactor = (race: RaceSlot): number => {
    const earlier = stopped.filter((r) => r.season === race.season && r.round < race.round);
    if (earlier.length < o.minSeasonCars) return 1;
    return median(earlier.map((r) => r.stops[0]! / (baseShare(r, r.startCompound) * r.totalLaps)));
  };

  const stopCount = (race: RaceSlot): number => {
    const ran = history.filter((r) => isBefore(r, race) && r.season >= race.season - o.seasonsBack && r.lapsCompleted >= 0.9 * r.totalLaps);
    const there = ran.filter((r) => r.circuitId === race.circuitId && r.season >= race.season - 2 && r.season < race.season);
    const rows = there.length >= o.minCars ? there : ran;
    return Math.max(o.minStops, rows.length > 0 ? Math.round(median(rows.map((r) => r.stops.length))) : 1);
  };

  const factors = new Map<string, number>();
  return {
    forecast(race, compound) {
      const key = `${race.season}/${race.round}`;
      if (!factors.has(key)) factors.set(key, seasonFactor(race));
      const lap = Math.round(baseShare(race, compound) * race.totalLaps * factors.get(key)!);
      return { stops: stopCount(race), firstStopLap: Math.min(race.totalLaps - 1, Math.max(1, lap)) };
    },
    distance(race) {
      const there = history.filter((r) => r.circuitId === race.circuitId && isBefore(r, race));
      return there.sort((a, b) => a.season - b.season || a.round - b.round).at(-1)?.totalLaps;
    },
  };
}

const compounds: Compound[] = ['SOFT', 'MEDIUM', 'HARD', 'INTERMEDIATE', 'WET'];

/** A forecaster over what races of seasons from..to read: those seasons and the `seasonsBack` before. */
export async function loadPreRaceForecaster(
  repo: Repository,
  seasons: { fromSeason: number; toSeason: number },
  o: PreRaceOptions = defaultPreRaceOptions,
): Promise<PreRaceForecaster> {
  return createPreRaceForecaster(await repo.reference.carStrategies({ fromSeason: seasons.fromSeason - o.seasonsBack, toSeason: seasons.toSeason }), o);
}

/** The strategy a frozen pre-race prediction carries for each driver (the start tyre is not known yet). */
export interface PreRaceStrategy {
  method: 'pre-race history';
  /** The race distance assumed: the circuit's previous race. */
  totalLaps: number;
  stops: number;
  /** First-stop lap by the compound the car starts on. */
  firstStopLap: Partial<Record<Compound, number>>;
}

/** Strategy for a race about to be frozen, from the races before it; null when the circuit has no lap history. */
export async function preRaceStrategy(repo: Repository, race: Omit<RaceSlot, 'totalLaps'>): Promise<PreRaceStrategy | null> {
  const forecaster = await loadPreRaceForecaster(repo, { fromSeason: race.season, toSeason: race.season });
  const totalLaps = forecaster.distance(race);
  if (totalLaps === undefined) return null;
  const slot = { ...race, totalLaps };
  // The stop count does not depend on the start tyre.
  return {
    method: 'pre-race history',
    totalLaps,
    stops: forecaster.forecast(slot, null).stops,
    firstStopLap: Object.fromEntries(compounds.map((c) => [c, forecaster.forecast(slot, c).firstStopLap])),
  };
}
