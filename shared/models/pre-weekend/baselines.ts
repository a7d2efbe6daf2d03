import type { DriverForecast } from '../../domain/forecast.js';
import type { HistoryIndex, RaceFeatures } from '../../features/race-features.js';
import { baselinePrediction, type SlotTable } from '../race/baselines.js';
import type { GapTable } from '../race/gap-table.js';

/**
 * The baselines of a forecast made before the grid is known: the order of the drivers'
 * championship, and the previous race's finishing order (both as of the freeze; before round
 * 1, the previous season's final standings and last race). Each reads its probabilities off
 * the same slot lookup as the grid baseline: the past frequency of a win, podium, points or
 * DNF from that slot (championship rank, previous finish) over earlier races.
 */
export type PreWeekendBaseline = 'championshipOrder' | 'previousRace';
export const preWeekendBaselines: PreWeekendBaseline[] = ['championshipOrder', 'previousRace'];

/** The latest race with results that started before `t`: this season's, else the previous season's last. */
function latestRaceBefore(ix: HistoryIndex, season: number, t: number, having: (raceId: number) => boolean) {
  for (const s of [season, season - 1]) {
    const past = (ix.seasonRaces.get(s) ?? []).filter((r) => r.raceStart.getTime() < t && having(r.id));
    if (past.length) return past.at(-1)!;
  }
  return undefined;
}

/** Ranks 1..n of the entrants by a key (unknown keys behind every known one, in entry order). */
function rankBy(drivers: readonly { driverId: number }[], key: (driverId: number) => number | undefined): number[] {
  const order = drivers.map((d, i) => ({ i, k: key(d.driverId) ?? Infinity })).sort((a, b) => a.k - b.k || a.i - b.i);
  const slots = new Array<number>(drivers.length);
  order.forEach(({ i }, k) => (slots[i] = k + 1));
  return slots;
}

/** Each entrant's slot (features order) under a baseline, from what was known at the freeze. */
export function baselineSlots(kind: PreWeekendBaseline, ix: HistoryIndex, features: RaceFeatures): number[] {
  const race = ix.races.get(features.raceId);
  if (!race) throw new RangeError(`race ${features.raceId} not in history`);
  const t = features.asOf.getTime();
  if (kind === 'championshipOrder') {
    const last = latestRaceBefore(ix, race.season, t, (id) => ix.driverStandings.has(id));
    const position = new Map((last ? ix.driverStandings.get(last.id)! : []).map((s) => [s.entityId, s.position ?? undefined]));
    return rankBy(features.drivers, (id) => position.get(id));
  }
  const last = latestRaceBefore(ix, race.season, t, (id) => ix.byRace.has(id));
  const finish = new Map((last ? ix.byRace.get(last.id)! : []).map((r) => [r.driverId, r.positionOrder]));
  return rankBy(features.drivers, (id) => finish.get(id));
}

export function preWeekendBaselinePrediction(slots: readonly number[], features: RaceFeatures, table: SlotTable, gapTable: GapTable): DriverForecast[] {
  return baselinePrediction('slotLookup', features, table, gapTable, slots);
}
