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
