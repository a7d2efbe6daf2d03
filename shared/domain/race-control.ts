import type { WeatherSession } from './weather.js';

/**
 * Race control: the stewards' messages of a session (flags, safety car, VSC, DRS, penalties,
 * incidents), as OpenF1 relays them. With their instants they give the track status over
 * time, which lap-level data (laps.track_status) only summarises.
 */

/** The race-weekend sessions pitwall knows by name; the weather's list, one definition. */
export type RaceControlSession = WeatherSession;

export interface RaceControlMessage {
  raceId: number;
  session: RaceControlSession;
  /** OpenF1's session_key, to trace a message back to its source. */
  sessionKey: number;
  /** ISO instant the message was issued. */
  at: string;
  /** The race lap it was issued on, when OpenF1 gives one. */
  lap: number | null;
  /** The driver it concerns; null for track-wide messages and car numbers no entrant had. */
  driverId: number | null;
  /** OpenF1's category: Flag, SafetyCar, Drs, CarEvent, SessionStatus, Other, … */
  category: string;
  /** GREEN, YELLOW, DOUBLE YELLOW, RED, BLUE, CHEQUERED, BLACK AND WHITE, CLEAR, … */
  flag: string | null;
  /** Track, Sector or Driver. */
  scope: string | null;
  /** The (mini-)sector of a sector-scoped message, from 1. */
  sector: number | null;
  message: string;
}
