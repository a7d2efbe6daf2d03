import { sessionStartsAt, type Race } from './reference.js';

/**
 * Weather: what OpenF1 measured during each session, and the race-day forecast (Open-Meteo)
 * a freeze saw. Where there is none (a season before OpenF1, a forecast not yet in range, a
 * failed fetch) it is a missing value with its reason, never a zero.
 */

/** OpenF1 session names pitwall stores weather for; other sessions (testing) are quarantined. */
export const weatherSessions = ['fp1', 'fp2', 'fp3', 'sprint_qualifying', 'sprint', 'qualifying', 'race'] as const;
export type WeatherSession = (typeof weatherSessions)[number];

/** One OpenF1 weather sample (about one a minute), units as OpenF1 gives them. */
export interface SessionWeatherSample {
  raceId: number;
  session: WeatherSession;
  sessionKey: number;
  /** ISO instant of the sample. */
  sampledAt: string;
  /** °C */
  airTemperature: number | null;
  /** °C */
  trackTemperature: number | null;
  /** % */
  humidity: number | null;
  /** mbar */
  pressure: number | null;
  /** OpenF1's rainfall flag (0 dry, else wet). */
  rainfall: number | null;
  /** degrees */
  windDirection: number | null;
  /** m/s */
  windSpeed: number | null;
}

/** One forecast hour (the hour starting at `time`, UTC), units as Open-Meteo gives them by default. */
export interface WeatherHour {
  time: string;
  /** °C at 2 m */
  temperature: number | null;
  /** % at 2 m */
  humidity: number | null;
  /** % */
  precipitationProbability: number | null;
  /** mm in the preceding hour */
  precipitation: number | null;
  /** km/h at 10 m */
  windSpeed: number | null;
}

/** The race window (start to start + RACE_WINDOW_HOURS) summarised; a null means no hour had the value. */
export interface RaceWindowSummary {
  from: string;
  to: string;
  meanTemperature: number | null;
  maxPrecipitationProbability: number | null;
  totalPrecipitation: number | null;
  meanWindSpeed: number | null;
  maxWindSpeed: number | null;
  meanHumidity: number | null;
}

export interface RaceWeatherForecast {
  id: number;
  raceId: number;
  source: 'open-meteo';
  /** When it was fetched, on the injected clock. */
  fetchedAt: Date;
  latitude: number;
  longitude: number;
  /** The hours around the race start (HOURS_AROUND_START either side). */
  hours: WeatherHour[];
  summary: RaceWindowSummary;
}

export type NewRaceWeatherForecast = Omit<RaceWeatherForecast, 'id'>;

/** What a frozen snapshot saw: the newest stored forecast fetched no later than the freeze, or why there is none. */
export interface SnapshotWeather {
  /** As stored in the snapshot (jsonb): fetchedAt is an ISO string. */
  forecast: (Omit<RaceWeatherForecast, 'id' | 'raceId' | 'fetchedAt'> & { fetchedAt: string }) | null;
  /** Why there is no forecast, or what went wrong fetching a fresh one (the older stored one was used). */
  reason: string | null;
}

/** The outcome of one refresh of a race's forecast. */
export type WeatherRefreshOutcome =
  | { status: 'stored'; forecast: RaceWeatherForecast }
  | { status: 'not_in_range'; reason: string; availableFrom: Date }
  | { status: 'unavailable'; reason: string };

/** Fetches and stores the race-day forecast of a race (the ingest side implements it). */
export type RaceWeatherRefresh = (race: Race, options?: { deadlineAt?: number }) => Promise<WeatherRefreshOutcome>;

/** Open-Meteo's forecast reaches about 16 days ahead. */
export const FORECAST_HORIZON_DAYS = 16;
export const HOURS_AROUND_START = 3;
export const RACE_WINDOW_HOURS = 2;
const HOUR = 3_600_000;

/** The hour-aligned hours stored with a forecast: from HOURS_AROUND_START before the start's hour to as many after. */
export function hoursAroundStart(race: Pick<Race, 'sessions'>): { from: Date; to: Date } {
  const start = Math.floor(sessionStartsAt(race.sessions.race).getTime() / HOUR) * HOUR;
  return { from: new Date(start - HOURS_AROUND_START * HOUR), to: new Date(start + HOURS_AROUND_START * HOUR) };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);
const round = (x: number | null) => (x === null ? null : Math.round(x * 100) / 100);

/** Summary over the hours that overlap the race window [start, start + RACE_WINDOW_HOURS). */
export function raceWindowSummary(hours: readonly WeatherHour[], raceStartsAt: Date): RaceWindowSummary {
  const from = raceStartsAt.getTime();
  const to = from + RACE_WINDOW_HOURS * HOUR;
  const inWindow = hours.filter((h) => {
    const t = Date.parse(h.time);
    return t + HOUR > from && t < to;
  });
  const values = (pick: (h: WeatherHour) => number | null) => inWindow.map(pick).filter((v): v is number => v !== null);
  const wind = values((h) => h.windSpeed);
  const precipitation = values((h) => h.precipitation);
  const probability = values((h) => h.precipitationProbability);
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    meanTemperature: round(mean(values((h) => h.temperature))),
    maxPrecipitationProbability: probability.length ? Math.max(...probability) : null,
    totalPrecipitation: precipitation.length ? round(precipitation.reduce((s, x) => s + x, 0)) : null,
    meanWindSpeed: round(mean(wind)),
    maxWindSpeed: wind.length ? Math.max(...wind) : null,
    meanHumidity: round(mean(values((h) => h.humidity))),
  };
}
