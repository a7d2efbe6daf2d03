import { sessionStartsAt, type Race } from './reference.js';

/**
 * The post-qualifying freeze instant, in the one definition that the lifecycle (predict,
 * the schedule, the read API), the features of training and the backtest share: once
 * qualifying is over (its start + 90 minutes, allowing for delays and the provisional
 * classification); with only its date known, the end of that UTC day; with no qualifying on
 * record, one hour before the race; never after the race start.
 */
export const QUALIFYING_DURATION_MINUTES = 90;
const MINUTE = 60_000;

export function postQualifyingFreezeAt(race: Pick<Race, 'sessions'>): Date {
  const raceStartsAt = sessionStartsAt(race.sessions.race);
  const quali = race.sessions.qualifying;
  let at: number;
  if (!quali) at = raceStartsAt.getTime() - 60 * MINUTE;
  else if (quali.time) at = sessionStartsAt(quali).getTime() + QUALIFYING_DURATION_MINUTES * MINUTE;
  else at = sessionStartsAt(quali).getTime() + 24 * 60 * MINUTE;
  return new Date(Math.min(at, raceStartsAt.getTime()));
}

/**
 * When a race weekend starts: first practice when its start is on record; else two days before
 * the race day (the Friday of a Sunday race, 00:00 UTC), which is when older weekends began.
 */
export function weekendStartsAt(race: Pick<Race, 'sessions'>): Date {
  const fp1 = race.sessions.fp1;
  if (fp1) return sessionStartsAt(fp1);
  return new Date(sessionStartsAt({ date: race.sessions.race.date, time: null }).getTime() - 2 * 24 * 60 * MINUTE);
}

/** PRE_WEEKEND_FREEZE_HOURS when unset: a day before first practice, after the previous race's result and the week's news. */
export const PRE_WEEKEND_HOURS_DEFAULT = 24;

/**
 * The pre-weekend freeze instant, shared by the lifecycle and the pre-weekend backtest: `hours`
 * before the weekend starts (PRE_WEEKEND_FREEZE_HOURS), so nothing of the weekend is known.
 */
export function preWeekendFreezeAt(race: Pick<Race, 'sessions'>, hours: number): Date {
  return preWeekendFreezeFrom(weekendStartsAt(race), hours);
}

/** The same instant from a known weekend start (history's HistoryRace.weekendStart). */
export const preWeekendFreezeFrom = (weekendStart: Date, hours: number): Date => new Date(weekendStart.getTime() - hours * 60 * MINUTE);
