import type { FreezePolicy } from '../config/config.js';
import { sessionStartsAt, type Race } from '../domain/reference.js';
import type { SessionType } from './domain.js';

/** Qualifying lasts about an hour; allow for delays and the provisional classification. */
export const QUALIFYING_DURATION_MINUTES = 90;
const MINUTE = 60_000;

export interface FreezeWindow {
  /** The earliest instant the policy allows the freeze; also the snapshot instant. */
  allowedAt: Date;
  sessionType: SessionType;
  raceStartsAt: Date;
}

/**
 * When a race's forecast may be frozen. post_qualifying: once qualifying is over (its
 * start + 90 min; with only a date known, the end of that UTC day; with no qualifying
 * on record, one hour before the race). t_minus: N minutes before the race start.
 */
export function freezeWindow(race: Race, policy: FreezePolicy): FreezeWindow {
  const raceStartsAt = sessionStartsAt(race.sessions.race);
  if (policy.kind === 't_minus') {
    return { allowedAt: new Date(raceStartsAt.getTime() - policy.minutes * MINUTE), sessionType: 'pre_race', raceStartsAt };
  }
  const quali = race.sessions.qualifying;
  let allowedAt: Date;
  if (!quali) allowedAt = new Date(raceStartsAt.getTime() - 60 * MINUTE);
  else if (quali.time) allowedAt = new Date(sessionStartsAt(quali).getTime() + QUALIFYING_DURATION_MINUTES * MINUTE);
  else allowedAt = new Date(sessionStartsAt(quali).getTime() + 24 * 60 * MINUTE);
  if (allowedAt > raceStartsAt && race.sessions.race.time) allowedAt = raceStartsAt;
  return { allowedAt, sessionType: 'qualifying', raceStartsAt };
}

export type FreezeStatus = 'frozen' | 'open' | 'waiting';

/** For listings: frozen when a snapshot exists, open when the policy allows it now, else waiting. */
export function freezeStatus(window: FreezeWindow, now: Date, hasSnapshot: boolean): FreezeStatus {
  if (hasSnapshot) return 'frozen';
  return now >= window.allowedAt ? 'open' : 'waiting';
}
