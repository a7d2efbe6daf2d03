import { postQualifyingFreezeAt, preWeekendFreezeAt } from './freeze-instant.js';
import { sessionStartsAt, type Race } from './reference.js';

/**
 * When a race's forecast is frozen (PREDICTION_FREEZE_POLICY): once qualifying is over, or N
 * minutes before the race start. pre_weekend is the second forecast of every race, frozen N
 * hours before first practice by the pre-weekend model (PRE_WEEKEND_FREEZE_HOURS), beside
 * the configured policy's.
 */
export type FreezePolicy = { kind: 'post_qualifying' } | { kind: 't_minus'; minutes: number } | { kind: 'pre_weekend'; hours: number };

/**
 * The last session whose outcome a snapshot includes: qualifying (post_qualifying), none after
 * it (t_minus), or none of the weekend (pre_weekend).
 */
export type SessionType = 'qualifying' | 'pre_race' | 'pre_weekend';

const MINUTE = 60_000;

export interface FreezeWindow {
  /** The earliest instant the policy allows the freeze; also the snapshot instant. */
  allowedAt: Date;
  sessionType: SessionType;
  raceStartsAt: Date;
}

/**
 * When a race's forecast may be frozen. post_qualifying: the one post-qualifying freeze
 * instant (freeze-instant.ts) that training and the backtest use too. t_minus: N
 * minutes before the race start.
 */
export function freezeWindow(race: Race, policy: FreezePolicy): FreezeWindow {
  const raceStartsAt = sessionStartsAt(race.sessions.race);
  if (policy.kind === 'pre_weekend') return { allowedAt: preWeekendFreezeAt(race, policy.hours), sessionType: 'pre_weekend', raceStartsAt };
  if (policy.kind === 't_minus') {
    return { allowedAt: new Date(raceStartsAt.getTime() - policy.minutes * MINUTE), sessionType: 'pre_race', raceStartsAt };
  }
  return { allowedAt: postQualifyingFreezeAt(race), sessionType: 'qualifying', raceStartsAt };
}

/** The minutes a policy stores beside its kind (predictions.freeze_minutes); null for post_qualifying. */
export const policyMinutes = (policy: FreezePolicy): number | null =>
  policy.kind === 't_minus' ? policy.minutes : policy.kind === 'pre_weekend' ? policy.hours * 60 : null;

/** A policy from its stored kind and minutes. */
export function storedPolicy(kind: string, minutes: number | null): FreezePolicy {
  if (kind === 't_minus') return { kind, minutes: Number(minutes) };
  if (kind === 'pre_weekend') return { kind, hours: Number(minutes) / 60 };
  return { kind: 'post_qualifying' };
}

/** A policy as the database keys it (predictions.policy_key): one official snapshot per race and key. */
export const policyKey = (policy: FreezePolicy): string => {
  const minutes = policyMinutes(policy);
  return minutes === null ? policy.kind : `${policy.kind}:${minutes}`;
};

export type FreezeStatus = 'frozen' | 'open' | 'waiting' | 'missed';

/**
 * For listings: frozen when the race has its official snapshot; else waiting before the policy
 * allows the freeze, open until the race start, and missed after it (only a retrospective
 * snapshot can be frozen then).
 */
export function freezeStatus(window: FreezeWindow, now: Date, hasOfficial: boolean): FreezeStatus {
  if (hasOfficial) return 'frozen';
  if (now < window.allowedAt) return 'waiting';
  return now < window.raceStartsAt ? 'open' : 'missed';
}
