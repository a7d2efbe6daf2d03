/**
 * Reference data as the rest of pitwall sees it: camelCase, typed, no driver-specific
 * representations. Ids are pitwall's own surrogate ids; natural keys sit beside them.
 */

export interface Circuit {
  id: number;
  circuitRef: string;
  name: string;
  location: string | null;
  country: string | null;
  lat: number | null;
  lng: number | null;
  alt: number | null;
  url: string | null;
}

export interface Driver {
  id: number;
  driverRef: string;
  number: number | null;
  code: string | null;
  forename: string;
  surname: string;
  dob: string | null;
  nationality: string | null;
  url: string | null;
}

export interface Constructor {
  id: number;
  constructorRef: string;
  name: string;
  nationality: string | null;
  url: string | null;
}

/** A session start: the date is always known, the UTC time only for recent seasons. */
export interface SessionTime {
  date: string;
  time: string | null;
}

export type SessionName = 'fp1' | 'fp2' | 'fp3' | 'qualifying' | 'sprint' | 'race';

export interface Race {
  id: number;
  season: number;
  round: number;
  circuitId: number;
  name: string;
  url: string | null;
  sessions: Partial<Record<SessionName, SessionTime>> & { race: SessionTime };
}

export interface RaceResult {
  raceId: number;
  driverId: number;
  constructorId: number;
  number: number | null;
  grid: number;
  position: number | null;
  positionText: string;
  positionOrder: number;
  points: number;
  laps: number;
  timeText: string | null;
  milliseconds: number | null;
  fastestLap: number | null;
  fastestLapRank: number | null;
  fastestLapTime: string | null;
  fastestLapSpeed: number | null;
  status: string;
}

export type SprintResult = Omit<RaceResult, 'fastestLapRank' | 'fastestLapSpeed'>;

export interface QualifyingResult {
  raceId: number;
  driverId: number;
  constructorId: number;
  number: number | null;
  position: number;
  q1: string | null;
  q2: string | null;
  q3: string | null;
  q1Ms: number | null;
  q2Ms: number | null;
  q3Ms: number | null;
}

export interface Standing {
  raceId: number;
  /** driverId for driver standings, constructorId for constructor standings. */
  entityId: number;
  points: number;
  position: number | null;
  positionText: string | null;
  wins: number;
}

export interface ConstructorRaceResult {
  raceId: number;
  constructorId: number;
  points: number | null;
  status: string | null;
}

export interface PitStop {
  raceId: number;
  driverId: number;
  stop: number;
  lap: number;
  localTime: string | null;
  duration: string | null;
  milliseconds: number | null;
}

export type Compound = 'SOFT' | 'MEDIUM' | 'HARD' | 'INTERMEDIATE' | 'WET' | 'UNKNOWN';

export interface Lap {
  raceId: number;
  driverId: number;
  lap: number;
  position: number | null;
  timeMs: number | null;
  compound: Compound | null;
  stint: number | null;
  tyreLife: number | null;
  freshTyre: boolean | null;
  /** FastF1 track status digits seen during the lap: 1 green, 2 yellow, 4 SC, 5 red, 6 VSC, 7 VSC ending. */
  trackStatus: string | null;
  pitIn: boolean | null;
  pitOut: boolean | null;
  sources: string[];
}

/** How one car ran a race, for pre-race strategy forecasts: its starting tyre and its stops. */
export interface CarStrategy {
  season: number;
  round: number;
  circuitId: number;
  /** The race distance: the most laps any car completed. */
  totalLaps: number;
  startCompound: Compound | null;
  /** Laps at whose end the car stopped (laps.pit_stop: tyre changed, not a pit-lane pass). */
  stops: number[];
  lapsCompleted: number;
}

/** UTC instant a session starts; when only the date is known, the start of that UTC day. */
export function sessionStartsAt(s: SessionTime): Date {
  const time = s.time ? s.time.replace(/Z$/, '') : '00:00:00';
  return new Date(`${s.date}T${time}Z`);
}
