import { isDnf } from '../domain/race-outcome.js';
import type { History, HistoryQualifying, HistoryRace, HistoryResult } from '../domain/history.js';
import { spearman } from '../evaluation/metrics.js';

/**
 * Per-driver features of one race as of a freeze instant. Every read goes through an
 * as-of filter on session timestamps: results and standings only of races that started
 * before the freeze, qualifying and sprint rows only of sessions that started before it.
 * A value is null when it cannot be known (no history, no teammate, no sprint); the model
 * imputes it and counts the imputation.
 */

export const featureNames = [
  'qualiPosition', // grid proxy: the final grid (penalties) is not known at the post-qualifying freeze
  'qualiPositionShare', // qualifying position / field size
  'qualiGapPct', // best qualifying lap vs pole, percent
  'sprintPosition',
  'driverFormPosition', // decayed mean finishing position, last 10 starts
  'driverFormPoints',
  'constructorFormPosition',
  'constructorFormPoints',
  'driverDnfRate',
  'constructorMechanicalRate',
  'teammateQualiDelta',
  'teammateFinishShare', // decayed share of recent races finished ahead of the teammate
  'driverCircuitPosition',
  'constructorCircuitPosition',
  'championshipPosition',
  'championshipPointsShare',
  'constructorChampionshipPosition',
  'experience', // log(1 + starts within the feature window)
  'seasonProgress',
  'circuitGridHold', // mean Spearman(grid, finish) of past races at the circuit
  'teammateQualiGapPct', // best qualifying lap vs the teammate's, percent
  'constructorQualiGapPct', // decayed mean of the team's best qualifying gap to pole, last 5 races: the car's one-lap pace
  'constructorRaceGain', // decayed mean of grid − finish of the team's classified cars, last 20 starts: race pace vs one-lap pace
] as const;

export type FeatureName = (typeof featureNames)[number];

/** A race's simulation seed: its season and round, never its database id. */
export const raceSeed = (season: number, round: number): number => season * 100 + round;

export interface DriverFeatures {
  driverId: number;
  constructorId: number;
  values: (number | null)[];
}

export interface RaceFeatures {
  raceId: number;
  /**
   * The race's simulation seed, from its season and round (raceSeed): the same race draws the
   * same samples whichever path loaded it, and so whichever surrogate id it got.
   */
  seed: number;
  asOf: Date;
  drivers: DriverFeatures[];
}

/** Mechanical: a non-classification (a DNF, domain/race-outcome.ts) not caused by the driver or a collision. */
const nonMechanical = /accident|collision|spun|disqualif|did not|withdr|not classified|excluded|retired|illness|injur|driver|107|lapped|\+\d+ lap|finished/i;
export const isMechanicalFailure = (r: Pick<HistoryResult, 'position' | 'status'>) =>
  isDnf(r) && !nonMechanical.test(r.status);

interface Dated<T> {
  t: number;
  row: T;
}

/** History indexed for fast as-of reads; build once, query many races. */
export interface HistoryIndex {
  races: Map<number, HistoryRace>;
  byDriver: Map<number, Dated<HistoryResult>[]>;
  byConstructor: Map<number, Dated<HistoryResult>[]>;
  byRace: Map<number, HistoryResult[]>;
  qualifying: Map<number, HistoryQualifying[]>;
  sprints: Map<number, History['sprints']>;
  driverStandings: Map<number, History['driverStandings']>;
  constructorStandings: Map<number, History['constructorStandings']>;
  /** Each team's qualifying gap to pole (%) per car, dated by the qualifying start. */
  qualiGapByConstructor: Map<number, Dated<{ raceId: number; gapPct: number }>[]>;
  racesByCircuit: Map<number, HistoryRace[]>;
  seasonRaces: Map<number, HistoryRace[]>;
}

function group<T, K>(rows: readonly T[], key: (r: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

export function indexHistory(h: History): HistoryIndex {
  const races = new Map(h.races.map((r) => [r.id, r]));
  const startOf = (raceId: number) => races.get(raceId)?.raceStart.getTime() ?? Infinity;
  const dated = h.results.map((row) => ({ t: startOf(row.raceId), row })).sort((a, b) => a.t - b.t);
  const sortedRaces = [...h.races].sort((a, b) => a.raceStart.getTime() - b.raceStart.getTime());
  const qualifying = group(h.qualifying, (r) => r.raceId);
  const gaps = [...qualifying].flatMap(([raceId, rows]) => {
    const pole = Math.min(...rows.map((q) => q.bestMs ?? Infinity));
    const t = races.get(raceId)?.qualiStart.getTime() ?? Infinity;
    return rows.flatMap((q) => (q.bestMs && Number.isFinite(pole) ? [{ t, constructorId: q.constructorId, row: { raceId, gapPct: qualiGapPct(q.bestMs, pole) } }] : []));
  });
  return {
    races,
    byDriver: group(dated, (d) => d.row.driverId),
    byConstructor: group(dated, (d) => d.row.constructorId),
    byRace: group(h.results, (r) => r.raceId),
    qualifying,
    qualiGapByConstructor: group(gaps.sort((a, b) => a.t - b.t), (g) => g.constructorId),
    sprints: group(h.sprints, (r) => r.raceId),
    driverStandings: group(h.driverStandings, (r) => r.raceId),
    constructorStandings: group(h.constructorStandings, (r) => r.raceId),
    racesByCircuit: group(sortedRaces, (r) => r.circuitId),
    seasonRaces: group(sortedRaces, (r) => r.season),
  };
}

/** The rows of `list` (sorted by t) strictly before `t`, most recent first, at most `limit`. */
function before<T>(list: Dated<T>[] | undefined, t: number, limit: number): T[] {
  if (!list) return [];
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  const out: T[] = [];
  for (let i = lo - 1; i >= 0 && out.length < limit; i--) out.push(list[i]!.row);
  return out;
}

/** Percent behind a reference lap, capped: a lap 5% off is a problem lap, not pace. */
const qualiGapPct = (ms: number, refMs: number) => Math.min(5, ((ms - refMs) / refMs) * 100);

function decayedMean(xs: readonly number[], decay: number): number | null {
  if (xs.length === 0) return null;
  let s = 0;
  let w = 0;
  xs.forEach((x, k) => {
    const wk = decay ** k;
    s += wk * x;
    w += wk;
  });
  return s / w;
}

/** The team's best gap to pole in each of its last 5 qualifyings before this race's (most recent first). */
function teamQualiPace(ix: HistoryIndex, constructorId: number, raceId: number, t: number, inWindow: (raceId: number) => boolean): number[] {
  const best = new Map<number, number>();
  for (const g of before(ix.qualiGapByConstructor.get(constructorId), t, 60)) {
    if (g.raceId === raceId || !inWindow(g.raceId)) continue;
    if (!best.has(g.raceId) && best.size === 5) break;
    best.set(g.raceId, Math.min(best.get(g.raceId) ?? Infinity, g.gapPct));
  }
  return [...best.values()];
}

/**
 * Seasons of history a race's features read: the season itself and the ten before. Every
 * read is cut there, so the features are the same whichever longer history is loaded (the
 * backtest loads decades, a freeze only these seasons).
 */
export const FEATURE_HISTORY_SEASONS = 10;

/**
 * Features for `raceId` as of `asOf`. The entry list is the race's qualifying classification
 * when qualifying has happened, else each constructor's drivers of its latest race.
 */
export function computeRaceFeatures(ix: HistoryIndex, raceId: number, asOf: Date): RaceFeatures {
  const race = ix.races.get(raceId);
  if (!race) throw new RangeError(`race ${raceId} not in history`);
  const t = asOf.getTime();
  const firstSeason = race.season - FEATURE_HISTORY_SEASONS;
  const inWindow = (id: number) => (ix.races.get(id)?.season ?? -Infinity) >= firstSeason;
  const raceKnown = (id: number) => (ix.races.get(id)?.raceStart.getTime() ?? Infinity) < t;

  const quali = race.qualiStart.getTime() < t ? (ix.qualifying.get(raceId) ?? []) : [];
  const sprintRows = race.sprintStart && race.sprintStart.getTime() < t ? (ix.sprints.get(raceId) ?? []) : [];

  let entries: { driverId: number; constructorId: number }[] = quali.map((q) => ({ driverId: q.driverId, constructorId: q.constructorId }));
  if (entries.length === 0) {
    // No qualifying yet: the latest known race's line-up (before round 1, the previous season's last).
    const known = (season: number) => (ix.seasonRaces.get(season) ?? []).filter((r) => r.raceStart.getTime() < t && r.id !== raceId && ix.byRace.has(r.id));
    const latest = known(race.season).at(-1) ?? known(race.season - 1).at(-1);
    entries = latest ? (ix.byRace.get(latest.id) ?? []).map((r) => ({ driverId: r.driverId, constructorId: r.constructorId })) : [];
  }
  const fieldSize = Math.max(1, entries.length);
  const qualiOf = new Map(quali.map((q) => [q.driverId, q]));
  const poleMs = Math.min(...quali.map((q) => q.bestMs ?? Infinity));
  const sprintOf = new Map(sprintRows.map((s) => [s.driverId, s]));

  // Championship as of the latest race of this season that started before the freeze.
  const seasonPast = (ix.seasonRaces.get(race.season) ?? []).filter((r) => r.id !== raceId && r.raceStart.getTime() < t);
  const lastRace = seasonPast.at(-1);
  const dStand = new Map((lastRace ? (ix.driverStandings.get(lastRace.id) ?? []) : []).map((s) => [s.entityId, s]));
  const cStand = new Map((lastRace ? (ix.constructorStandings.get(lastRace.id) ?? []) : []).map((s) => [s.entityId, s]));
  const leaderPoints = Math.max(0, ...[...dStand.values()].map((s) => s.points));

  const circuitPast = (ix.racesByCircuit.get(race.circuitId) ?? []).filter((r) => r.id !== raceId && raceKnown(r.id) && inWindow(r.id));
  const holds = circuitPast.slice(-10).flatMap((r) => {
    const rows = (ix.byRace.get(r.id) ?? []).filter((x) => x.grid > 0);
    if (rows.length < 3) return [];
    const s = spearman(rows.map((x) => x.grid), rows.map((x) => x.positionOrder));
    return Number.isFinite(s) ? [s] : [];
  });
  const circuitGridHold = holds.length ? holds.reduce((a, b) => a + b, 0) / holds.length : null;
  const recentCircuitIds = new Set(circuitPast.slice(-5).map((r) => r.id));

  const drivers = entries.map(({ driverId, constructorId }): DriverFeatures => {
    const q = qualiOf.get(driverId);
    const past = before(ix.byDriver.get(driverId), t, 10_000).filter((r) => inWindow(r.raceId));
    const recent = past.slice(0, 10);
    const cPast = before(ix.byConstructor.get(constructorId), t, 20).filter((r) => inWindow(r.raceId));
    const teammate = entries.find((e) => e.constructorId === constructorId && e.driverId !== driverId);
    const tq = teammate ? qualiOf.get(teammate.driverId) : undefined;

    const ahead = recent.flatMap((r) => {
      const mate = (ix.byRace.get(r.raceId) ?? []).find((x) => x.constructorId === r.constructorId && x.driverId !== driverId);
      return mate ? [r.positionOrder < mate.positionOrder ? 1 : 0] : [];
    });
    const atCircuit = past.filter((r) => ix.races.get(r.raceId)?.circuitId === race.circuitId);
    const teamAtCircuit = before(ix.byConstructor.get(constructorId), t, 10_000).filter((r) => recentCircuitIds.has(r.raceId));
    const ds = dStand.get(driverId);
    const cs = cStand.get(constructorId);

    const values: Record<FeatureName, number | null> = {
      qualiPosition: q ? q.position : null,
      qualiPositionShare: q ? q.position / fieldSize : null,
      qualiGapPct: q?.bestMs && Number.isFinite(poleMs) ? qualiGapPct(q.bestMs, poleMs) : null,
      sprintPosition: sprintOf.get(driverId)?.positionOrder ?? null,
      driverFormPosition: decayedMean(recent.map((r) => r.positionOrder), 0.8),
      driverFormPoints: decayedMean(recent.map((r) => r.points), 0.8),
      constructorFormPosition: decayedMean(cPast.map((r) => r.positionOrder), 0.85),
      constructorFormPoints: decayedMean(cPast.map((r) => r.points), 0.85),
      driverDnfRate: decayedMean(past.slice(0, 20).map((r) => (isDnf(r) ? 1 : 0)), 0.9),
      constructorMechanicalRate: decayedMean(cPast.map((r) => (isMechanicalFailure(r) ? 1 : 0)), 0.9),
      teammateQualiDelta: q && tq ? q.position - tq.position : null,
      teammateFinishShare: decayedMean(ahead, 0.8),
      driverCircuitPosition: atCircuit.length ? atCircuit.slice(0, 5).reduce((s, r) => s + r.positionOrder, 0) / Math.min(5, atCircuit.length) : null,
      constructorCircuitPosition: teamAtCircuit.length ? teamAtCircuit.reduce((s, r) => s + r.positionOrder, 0) / teamAtCircuit.length : null,
      championshipPosition: ds?.position ?? null,
      championshipPointsShare: ds && leaderPoints > 0 ? ds.points / leaderPoints : null,
      constructorChampionshipPosition: cs?.position ?? null,
      experience: Math.log1p(past.length),
      seasonProgress: (race.round - 1) / Math.max(1, race.roundsInSeason),
      circuitGridHold,
      teammateQualiGapPct: q?.bestMs && tq?.bestMs ? Math.max(-5, qualiGapPct(q.bestMs, tq.bestMs)) : null,
      constructorQualiGapPct: decayedMean(teamQualiPace(ix, constructorId, raceId, t, inWindow), 0.8),
      constructorRaceGain: decayedMean(cPast.filter((r) => !isDnf(r) && r.grid > 0).map((r) => r.grid - r.positionOrder), 0.9),
    };
    return { driverId, constructorId, values: featureNames.map((n) => values[n]) };
  });
  return { raceId, seed: raceSeed(race.season, race.round), asOf, drivers };
}
