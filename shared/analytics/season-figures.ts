import type { Race } from '../domain/reference.js';
import { isDnf } from '../domain/race-outcome.js';
import { isMechanicalFailure } from '../features/race-features.js';
import { mean, median, standardDeviation } from '../evaluation/metrics.js';
import { cleanLaps } from './clean-laps.js';
import { byRace, carsByRace, type AnalyticsLap, type SeasonData, type Subject } from './inputs.js';
import { racePace } from './race-pace.js';
import { degradationByCompound, stintSlopes } from './tyre-degradation.js';
import { isWet, wetLapShare, WET_LAP_SHARE } from './wet-races.js';

/**
 * The figures a driver page and a team page share, for one season, computed from the stored
 * rows. A team's figures pool its cars (both cars of each race). Every figure says how many
 * races it rests on (`races`) and, when it has no value, why (`reason`); a figure with a
 * value has reason null.
 */

/**
 * A stop longer than this in the pit lane is no pit stop to time (a red-flag stop, a stop to
 * repair damage, a drive-through the source recorded as one): it is counted as excluded.
 */
export const PIT_LANE_MAX_MS = 60_000;

export interface RaceRef {
  raceId: number;
  round: number;
  race: string;
}
export const raceRef = (r: Race): RaceRef => ({ raceId: r.id, round: r.round, race: r.name });

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
const round3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);

/** Per race: its clean laps (every car's), computed once for all the lap figures. */
function cleanByRace(data: SeasonData): Map<number, AnalyticsLap[]> {
  const laps = byRace(data.laps);
  const stops = byRace(data.pitStops);
  const control = byRace(data.raceControl);
  return new Map([...laps].map(([raceId, rows]) => [raceId, cleanLaps(rows, stops.get(raceId), control.get(raceId))]));
}

export function seasonFigures(data: SeasonData, subject: Subject) {
  const cars = carsByRace(data, subject);
  const raced = data.races.filter((r) => cars.has(r.id));
  const resultsOf = data.results.filter((r) => cars.get(r.raceId)?.has(r.driverId));
  const resultRaces = new Set(resultsOf.map((r) => r.raceId));
  const lapsByRace = byRace(data.laps);
  const clean = cleanByRace(data);
  const noLaps = data.laps.length === 0 ? `no lap data stored for ${data.season}` : null;

  // Race pace: per race, then the season as the median of the races (each race weighs once).
  const pacePerRace = raced.flatMap((race) => {
    const p = racePace(clean.get(race.id) ?? [], cars.get(race.id)!);
    return p ? [{ ...raceRef(race), deltaSeconds: round3(p.deltaSeconds)!, deltaPct: round3(p.deltaPct)!, cleanLaps: p.laps }] : [];
  });
  const racePaceFigure = {
    medianDeltaSeconds: pacePerRace.length ? round3(median(pacePerRace.map((p) => p.deltaSeconds))) : null,
    medianDeltaPct: pacePerRace.length ? round3(median(pacePerRace.map((p) => p.deltaPct))) : null,
    races: pacePerRace.length,
    reason: pacePerRace.length ? null : (noLaps ?? `no race of ${data.season} has enough clean laps with a field to compare them with`),
    perRace: pacePerRace,
  };

  const classified = resultsOf.filter((r) => !isDnf(r));
  const paceSd = finite(standardDeviation(pacePerRace.map((p) => p.deltaPct)));
  const finishSd = finite(standardDeviation(classified.map((r) => r.positionOrder)));
  const consistency = {
    pace: {
      sdPct: round3(paceSd),
      races: pacePerRace.length,
      reason: paceSd === null ? (noLaps ?? 'fewer than 2 races with a race pace') : null,
    },
    finishing: {
      sdPositions: round3(finishSd),
      races: new Set(classified.map((r) => r.raceId)).size,
      reason: finishSd === null ? 'fewer than 2 classified finishes' : null,
    },
  };

  const raceOf = new Map(data.races.map((r) => [r.id, r]));
  const gains = resultsOf
    .filter((r) => !isDnf(r) && r.grid > 0)
    .map((r) => ({ ...raceRef(raceOf.get(r.raceId)!), driverId: r.driverId, grid: r.grid, finish: r.positionOrder, gained: r.grid - r.positionOrder }))
    .sort((a, b) => a.round - b.round || a.driverId - b.driverId);
  const positionsGained = {
    mean: gains.length ? round3(mean(gains.map((g) => g.gained))) : null,
    total: gains.length ? gains.reduce((s, g) => s + g.gained, 0) : null,
    races: new Set(gains.map((g) => g.raceId)).size,
    reason: gains.length ? null : resultRaces.size ? 'no classified finish from a grid slot (pit-lane starts and DNFs are left out)' : `no result in ${data.season}`,
    perRace: gains,
  };

  // Wet or dry by the compounds the whole field ran; the subject's results in each.
  const wetPerRace = raced.map((race) => {
    const share = wetLapShare(lapsByRace.get(race.id) ?? []);
    return { ...raceRef(race), wetLapShare: round3(share), wet: isWet(share) };
  });
  const resultsIn = (wet: boolean) => {
    const ids = new Set(wetPerRace.filter((w) => w.wet === wet).map((w) => w.raceId));
    const rows = resultsOf.filter((r) => ids.has(r.raceId));
    const finishes = rows.filter((r) => !isDnf(r));
    return {
      races: new Set(rows.map((r) => r.raceId)).size,
      meanFinish: finishes.length ? round3(mean(finishes.map((r) => r.positionOrder))) : null,
      meanPoints: rows.length ? round3(mean(rows.map((r) => r.points))) : null,
      dnfs: rows.length - finishes.length,
    };
  };
  const wet = resultsIn(true);
  const dry = resultsIn(false);
  const wetRaces = {
    wet,
    dry,
    races: wet.races + dry.races,
    unknownRaces: wetPerRace.filter((w) => w.wet === null).length,
    threshold: WET_LAP_SHARE,
    reason: wet.races + dry.races === 0 ? (noLaps ?? 'no compounds stored for these races') : wet.races === 0 ? `no wet race in ${data.season} among the races with compounds stored` : null,
    perRace: wetPerRace,
  };

  const stints = raced.flatMap((race) => stintSlopes(clean.get(race.id) ?? [], cars.get(race.id)!));
  const byCompound = degradationByCompound(stints).map((c) => ({ ...c, medianSecondsPerLap: round3(c.medianSecondsPerLap)! }));
  const tyreDegradation = {
    byCompound,
    stints: stints.length,
    races: new Set(stints.map((s) => s.raceId)).size,
    fuelCorrected: false,
    reason: stints.length ? null : (noLaps ?? 'no stint with 5 or more clean laps on one compound'),
  };

  const timed = (s: { milliseconds: number | null }) => s.milliseconds != null && s.milliseconds <= PIT_LANE_MAX_MS;
  const own = data.pitStops.filter((s) => cars.get(s.raceId)?.has(s.driverId));
  const kept = own.filter(timed);
  const field = data.pitStops.filter(timed);
  const stopsByRace = byRace(kept);
  const ownMedian = kept.length ? median(kept.map((s) => s.milliseconds! / 1000)) : null;
  const fieldMedian = field.length ? median(field.map((s) => s.milliseconds! / 1000)) : null;
  const pitStops = {
    medianSeconds: round3(ownMedian),
    meanSeconds: kept.length ? round3(mean(kept.map((s) => s.milliseconds! / 1000))) : null,
    fieldMedianSeconds: round3(fieldMedian),
    deltaToFieldSeconds: ownMedian !== null && fieldMedian !== null ? round3(ownMedian - fieldMedian) : null,
    stops: kept.length,
    excluded: own.length - kept.length,
    races: stopsByRace.size,
    reason: kept.length ? null : data.pitStops.length === 0 ? `no pit stops stored for ${data.season}` : 'no timed pit stop',
    perRace: raced.flatMap((race) => {
      const s = stopsByRace.get(race.id);
      return s ? [{ ...raceRef(race), stops: s.length, medianSeconds: round3(median(s.map((x) => x.milliseconds! / 1000)))! }] : [];
    }),
  };

  const failures = resultsOf.filter(isMechanicalFailure);
  const mechanicalDnfs = {
    count: failures.length,
    races: resultRaces.size,
    reason: resultRaces.size ? null : `no result in ${data.season}`,
    list: failures
      .map((r) => ({ ...raceRef(raceOf.get(r.raceId)!), driverId: r.driverId, status: r.status, laps: r.laps }))
      .sort((a, b) => a.round - b.round),
  };

  const standings = subject.kind === 'driver' ? data.driverStandings : data.constructorStandings;
  const standingOf = new Map(standings.filter((s) => s.entityId === subject.id).map((s) => [s.raceId, s]));
  const rounds = data.races.flatMap((race) => {
    const s = standingOf.get(race.id);
    return s ? [{ ...raceRef(race), points: s.points, position: s.position, wins: s.wins }] : [];
  });
  const pointsOverSeason = {
    finalPoints: rounds.at(-1)?.points ?? null,
    finalPosition: rounds.at(-1)?.position ?? null,
    races: rounds.length,
    reason: rounds.length ? null : `no championship standings for ${data.season}`,
    rounds,
  };

  return { racesEntered: raced.length, racePace: racePaceFigure, consistency, positionsGained, wetRaces, tyreDegradation, pitStops, mechanicalDnfs, pointsOverSeason };
}

export type SeasonFigures = ReturnType<typeof seasonFigures>;
