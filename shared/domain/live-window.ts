import { sessionStartsAt, type Race } from './reference.js';

/** A race is live from just before the start until this long after it (a 2-hour limit, plus suspensions). */
export const LIVE_WINDOW_MINUTES = { before: 5, after: 3 * 60 } as const;

/** When a race's live timing is polled: the scheduled live job's window, and the only time `POST /ingest/live` polls. */
export function liveWindow(race: Pick<Race, 'sessions'>): { from: Date; to: Date } {
  return liveWindowFrom(sessionStartsAt(race.sessions.race));
}

/** The live window of a race starting at `start`. */
export function liveWindowFrom(start: Date): { from: Date; to: Date } {
  return { from: new Date(start.getTime() - LIVE_WINDOW_MINUTES.before * 60_000), to: new Date(start.getTime() + LIVE_WINDOW_MINUTES.after * 60_000) };
}
