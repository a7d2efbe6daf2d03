import type { RaceControlMessage } from '../domain/race-control.js';
import type { Lap, PitStop, QualifyingResult, Race, RaceResult, SprintResult, Standing } from '../domain/reference.js';

/**
 * What the driver and team analytics read: one season's stored rows, each trimmed to the
 * columns the computations use (the full domain rows satisfy these types, so the in-memory
 * repository hands its own rows over unchanged).
 */
export type AnalyticsLap = Pick<Lap, 'raceId' | 'driverId' | 'lap' | 'timeMs' | 'compound' | 'stint' | 'tyreLife' | 'trackStatus' | 'pitIn' | 'pitOut'>;
export type AnalyticsResult = Pick<RaceResult, 'raceId' | 'driverId' | 'constructorId' | 'grid' | 'position' | 'positionText' | 'positionOrder' | 'points' | 'laps' | 'status'>;
export type AnalyticsSprint = Pick<SprintResult, 'raceId' | 'driverId' | 'constructorId' | 'points'>;
export type AnalyticsQualifying = Pick<QualifyingResult, 'raceId' | 'driverId' | 'constructorId' | 'position' | 'q1Ms' | 'q2Ms' | 'q3Ms'>;
export type AnalyticsPitStop = Pick<PitStop, 'raceId' | 'driverId' | 'stop' | 'lap' | 'milliseconds'>;
export type AnalyticsRaceControl = Pick<RaceControlMessage, 'raceId' | 'at' | 'lap' | 'category' | 'flag' | 'scope' | 'sector' | 'message'>;

export interface SeasonData {
  season: number;
  /** In round order. */
  races: Race[];
  results: AnalyticsResult[];
  /** The sprint results' points (a driver's points for a team are its races' and sprints'). */
  sprintResults: AnalyticsSprint[];
  qualifying: AnalyticsQualifying[];
  laps: AnalyticsLap[];
  pitStops: AnalyticsPitStop[];
  driverStandings: Standing[];
  constructorStandings: Standing[];
  /** Race-session messages only. */
  raceControl: AnalyticsRaceControl[];
}

/** A race result with its race, for a driver's or team's results at one circuit over the seasons. */
export interface CircuitResult extends AnalyticsResult {
  season: number;
  round: number;
  race: string;
}

/** Whose figures: one driver, or a team's cars (each race's cars of that constructor). */
export type Subject = { kind: 'driver'; id: number } | { kind: 'team'; id: number };

/** The subject's cars (driver ids) in each race it took part in: from the results, else qualifying. */
export function carsByRace(data: Pick<SeasonData, 'results' | 'qualifying'>, subject: Subject): Map<number, Set<number>> {
  const cars = new Map<number, Set<number>>();
  const take = (rows: readonly { raceId: number; driverId: number; constructorId: number }[], skip: Set<number>) => {
    for (const r of rows) {
      if (skip.has(r.raceId)) continue;
      if (subject.kind === 'driver' ? r.driverId !== subject.id : r.constructorId !== subject.id) continue;
      if (!cars.has(r.raceId)) cars.set(r.raceId, new Set());
      cars.get(r.raceId)!.add(r.driverId);
    }
  };
  take(data.results, new Set());
  take(data.qualifying, new Set(data.results.map((r) => r.raceId)));
  return cars;
}

/** Rows grouped by race id. */
export function byRace<T extends { raceId: number }>(rows: readonly T[]): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const r of rows) {
    const list = m.get(r.raceId);
    if (list) list.push(r);
    else m.set(r.raceId, [r]);
  }
  return m;
}
