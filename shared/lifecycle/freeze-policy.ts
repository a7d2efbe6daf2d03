import type { FreezePolicy } from '../config/config.js';
import { postQualifyingFreezeAt } from '../domain/freeze-instant.js';
import { sessionStartsAt, type Race } from '../domain/reference.js';
import type { SessionType } from './domain.js';

const MINUTE = 60_000;

export interface FreezeWindow {
  /** The earliest instant the policy allows the freeze; also the snapshot instant. */
  allowedAt: Date;
  sessionType: SessionType;
  raceStartsAt: Date;
}

/**
 * When a race's forecast may be frozen. post_qualifying: the one post-qualifying freeze
 * instant (domain/freeze-instant.ts) that training and the backtest use too. t_minus: N
 * minutes before the race start.
 */
export function freezeWindow(race: Race, policy: FreezePolicy): FreezeWindow {
  const raceStartsAt = sessionStartsAt(race.sessions.race);
  if (policy.kind === 't_minus') {
    return { allowedAt: new Date(raceStartsAt.getTime() - policy.minutes * MINUTE), sessionType: 'pre_race', raceStartsAt };
  }
  return { allowedAt: postQualifyingFreezeAt(race), sessionType: 'qualifying', raceStartsAt };
}

export type FreezeStatus = 'frozen' | 'open' | 'waiting';

/** For listings: frozen when a snapshot exists, open when the policy allows it now, else waiting. */
export function freezeStatus(window: FreezeWindow, now: Date, hasSnapshot: boolean): FreezeStatus {
  if (hasSnapshot) return 'frozen';
  return now >= window.allowedAt ? 'open' : 'waiting';
}
