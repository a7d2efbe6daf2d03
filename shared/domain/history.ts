import { postQualifyingFreezeAt, PRE_WEEKEND_HOURS_DEFAULT, preWeekendFreezeFrom, weekendStartsAt } from './freeze-instant.js';
import { sessionStartsAt, type Race } from './reference.js';

/**
 * The slice of reference data the race features read, with every row's "known from"
 * instant attached, so the features can do as-of joins in memory. Loaded by
 * repository/history-store.ts; built by hand in tests.
 */

export interface HistoryRace {
  id: number;
  season: number;
  round: number;
  circuitId: number;
  roundsInSeason: number;
  raceStart: Date;
  qualiStart: Date;
  sprintStart: Date | null;
  /** When the weekend starts (first practice; freeze-instant.ts weekendStartsAt). */
  weekendStart: Date;
  /** The post-qualifying freeze instant (freeze-instant.ts). */
  freezeAt: Date;
}

export interface HistoryResult {
  raceId: number;
  driverId: number;
  constructorId: number;
  grid: number;
  position: number | null;
  positionOrder: number;
  points: number;
  laps: number;
  milliseconds: number | null;
  status: string;
}

export interface HistoryQualifying {
  raceId: number;
  driverId: number;
  constructorId: number;
  position: number;
  /** The driver's best lap over Q1–Q3, ms. */
  bestMs: number | null;
}

export interface HistorySprint {
  raceId: number;
  driverId: number;
  constructorId: number;
  positionOrder: number;
  points: number;
}

export interface HistoryStanding {
  raceId: number;
  entityId: number;
  points: number;
  position: number | null;
}

export interface History {
  races: HistoryRace[];
  results: HistoryResult[];
  qualifying: HistoryQualifying[];
  sprints: HistorySprint[];
  driverStandings: HistoryStanding[];
  constructorStandings: HistoryStanding[];
}

const DAY_MS = 86_400_000;

/**
 * When qualifying started. Older races carry no qualifying session: it is then taken as
 * the day before the race (start of that UTC day), which is when it ran.
 */
export function qualifyingStartsAt(race: Race): Date {
  if (race.sessions.qualifying) return sessionStartsAt(race.sessions.qualifying);
  return new Date(sessionStartsAt({ date: race.sessions.race.date, time: null }).getTime() - DAY_MS);
}

export function toHistoryRace(race: Race, roundsInSeason: number): HistoryRace {
  return {
    id: race.id,
    season: race.season,
    round: race.round,
    circuitId: race.circuitId,
    roundsInSeason,
    raceStart: sessionStartsAt(race.sessions.race),
    qualiStart: qualifyingStartsAt(race),
    sprintStart: race.sessions.sprint ? sessionStartsAt(race.sessions.sprint) : null,
    weekendStart: weekendStartsAt(race),
    freezeAt: postQualifyingFreezeAt(race),
  };
}

/** The instant a race is forecast at: the lifecycle's post-qualifying freeze. */
export const postQualifyingFreeze = (race: Pick<HistoryRace, 'freezeAt'>): Date => race.freezeAt;

/** The instant a race's pre-weekend forecast is made: `hours` before its weekend starts (freeze-instant.ts preWeekendFreezeAt). */
export const preWeekendFreeze = (race: Pick<HistoryRace, 'weekendStart'>, hours = PRE_WEEKEND_HOURS_DEFAULT): Date => preWeekendFreezeFrom(race.weekendStart, hours);

/** Keeps only what was known strictly before `asOf` (results and standings of races that started before it). */
export function historyAsOf(h: History, asOf: Date): History {
  const t = asOf.getTime();
  const byId = new Map(h.races.map((r) => [r.id, r]));
  const raceDone = (id: number) => (byId.get(id)?.raceStart.getTime() ?? Infinity) < t;
  const qualiDone = (id: number) => (byId.get(id)?.qualiStart.getTime() ?? Infinity) < t;
  const sprintDone = (id: number) => (byId.get(id)?.sprintStart?.getTime() ?? Infinity) < t;
  return {
    races: h.races,
    results: h.results.filter((r) => raceDone(r.raceId)),
    qualifying: h.qualifying.filter((r) => qualiDone(r.raceId)),
    sprints: h.sprints.filter((r) => sprintDone(r.raceId)),
    driverStandings: h.driverStandings.filter((r) => raceDone(r.raceId)),
    constructorStandings: h.constructorStandings.filter((r) => raceDone(r.raceId)),
  };
}
