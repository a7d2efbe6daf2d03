/**
 * When each piece of upstream data becomes visible: a session's data is published only once
 * the session has ended plus a delay. Ergast gives session START times only, so the end is
 * the start plus the session's usual length.
 *
 * Session lengths follow the sporting format: qualifying is three parts of 18 + 15 + 12 min
 * with breaks (~1 h); a sprint is 100 km (~30 min, 45 min with the formation lap and
 * margins); a Grand Prix is capped at 2 h of racing. The publication delays are ESTIMATES
 * (neither Jolpica nor OpenF1 publishes a service level): Jolpica's data is imported after
 * each session by its maintainers, the classification first, then the derived tables (pit
 * stops, lap timings, standings), which we place later; OpenF1's free historical data is
 * served once the session is over. Change them here, in one place.
 */

export type PublishedKind = 'qualifying' | 'sprint' | 'results' | 'pitstops' | 'laps' | 'standings' | 'openf1';

export interface PublishDelay {
  /** The session the data comes from. */
  session: 'qualifying' | 'sprint' | 'race' | 'openf1-session';
  /** Assumed session length in minutes (from its start time); OpenF1 sessions carry their own end. */
  sessionMinutes: number;
  /** Minutes after the session's end until the data is served. */
  delayMinutes: number;
}

export const PUBLISH_DELAYS: Readonly<Record<PublishedKind, PublishDelay>> = {
  /** Qualifying classification: ~30–60 min after the session (estimate). */
  qualifying: { session: 'qualifying', sessionMinutes: 60, delayMinutes: 45 },
  /** Sprint classification: about an hour after the sprint (estimate). */
  sprint: { session: 'sprint', sessionMinutes: 45, delayMinutes: 60 },
  /** Race classification: ~1–2 h after the race (estimate: 90 min). */
  results: { session: 'race', sessionMinutes: 120, delayMinutes: 90 },
  /** Pit stops: with or shortly after the classification (estimate: 2 h). */
  pitstops: { session: 'race', sessionMinutes: 120, delayMinutes: 120 },
  /** Lap-by-lap timings: later than the classification (estimate: 4 h). */
  laps: { session: 'race', sessionMinutes: 120, delayMinutes: 240 },
  /** Championship standings after the round: with the laps (estimate: 4 h). */
  standings: { session: 'race', sessionMinutes: 120, delayMinutes: 240 },
  /** OpenF1 laps, stints, pit, race control, weather: 30 min after the session's date_end (estimate). */
  openf1: { session: 'openf1-session', sessionMinutes: 0, delayMinutes: 30 },
};

const MINUTE = 60_000;

/** A session start from Ergast's date and optional time; a race without a time is placed at 14:00 UTC. */
export function sessionStart(date: string, time: string | null): number {
  return Date.parse(`${date}T${time ? time.replace(/Z$/, '') : '14:00:00'}Z`);
}

export interface ScheduledRace {
  date: string;
  time: string | null;
  quali: { date: string; time: string | null } | null;
  sprint: { date: string; time: string | null } | null;
}

/** When `kind` of this race is published (ms since the epoch); Infinity when the race has no such session. */
export function publishedAt(race: ScheduledRace, kind: Exclude<PublishedKind, 'openf1'>): number {
  const spec = PUBLISH_DELAYS[kind];
  let start: number;
  if (spec.session === 'qualifying') {
    // Old races have no qualifying date: the day before the race.
    start = race.quali ? sessionStart(race.quali.date, race.quali.time) : sessionStart(race.date, race.time) - 24 * 60 * MINUTE;
  } else if (spec.session === 'sprint') {
    if (!race.sprint) return Number.POSITIVE_INFINITY;
    start = sessionStart(race.sprint.date, race.sprint.time);
  } else {
    start = sessionStart(race.date, race.time);
  }
  return start + (spec.sessionMinutes + spec.delayMinutes) * MINUTE;
}

/** When an OpenF1 session's data is published: its date_end (or start + 2 h) plus the delay. */
export function openf1PublishedAt(session: { date_start: string; date_end?: string | null }): number {
  const end = session.date_end ? Date.parse(session.date_end) : Date.parse(session.date_start) + 120 * MINUTE;
  return end + PUBLISH_DELAYS.openf1.delayMinutes * MINUTE;
}
