import type { OpenF1Client, OpenF1InvalidRow } from '../../clients/openf1.js';
import type { OpenF1Session, OpenF1Weather } from '../../clients/openf1-schemas.js';
import type { WeatherSession } from '../../domain/weather.js';
import type { RejectedRow, SessionWeatherRecord, WarningRow } from '../records.js';
import type { RaceRef } from './openf1-records.js';

/**
 * OpenF1 /weather samples of one meeting → session weather records of its race weekend. A
 * sample is filed under its session by session_key (the meeting's session list names it);
 * a session pitwall has no name for (pre-season testing days) or a key the list does not
 * know is rejected with its reason, so the loader quarantines it.
 */

/** OpenF1 session_name → the weekend session it is (2023's "Sprint Shootout" became "Sprint Qualifying" in 2024). */
const sessionOf: Record<string, WeatherSession> = {
  'Practice 1': 'fp1',
  'Practice 2': 'fp2',
  'Practice 3': 'fp3',
  'Sprint Shootout': 'sprint_qualifying',
  'Sprint Qualifying': 'sprint_qualifying',
  Sprint: 'sprint',
  Qualifying: 'qualifying',
  Race: 'race',
};

export function openf1WeatherRecords(
  race: RaceRef,
  sessions: readonly OpenF1Session[],
  samples: readonly OpenF1Weather[],
): { records: SessionWeatherRecord[]; rejected: RejectedRow[] } {
  const byKey = new Map(sessions.map((s) => [s.session_key, s]));
  const records: SessionWeatherRecord[] = [];
  const rejected: RejectedRow[] = [];
  for (const w of samples) {
    const session = byKey.get(w.session_key);
    const name = session ? sessionOf[session.session_name] : undefined;
    if (!session || !name) {
      const why = session ? `session ${w.session_key} is "${session.session_name}", not a race-weekend session pitwall stores` : `session ${w.session_key} is not in /sessions`;
      rejected.push({ table: 'session_weather', raw: w, reason: `openf1 weather: ${why}` });
      continue;
    }
    records.push({
      ...race,
      session: name,
      sessionKey: w.session_key,
      sampledAt: w.date,
      airTemperature: w.air_temperature,
      trackTemperature: w.track_temperature,
      humidity: w.humidity,
      pressure: w.pressure,
      rainfall: w.rainfall,
      windDirection: w.wind_direction,
      windSpeed: w.wind_speed,
    });
  }
  return { records, rejected };
}

/**
 * The weather of a race session's meeting, one request for the whole weekend. A failed fetch
 * is a warning recorded with the run, not a failed run: the laps read with it still load,
 * and the next ingest of the race fetches the weather again (the upsert is idempotent).
 */
export async function meetingWeather(
  openf1: Pick<OpenF1Client, 'weather'>,
  sessions: readonly OpenF1Session[],
  raceSession: OpenF1Session,
  race: RaceRef,
): Promise<{ records: SessionWeatherRecord[]; rejected: RejectedRow[]; warnings: WarningRow[] }> {
  const invalid: OpenF1InvalidRow[] = [];
  let samples: OpenF1Weather[];
  try {
    samples = await openf1.weather({ meeting_key: raceSession.meeting_key }, invalid);
  } catch (err) {
    const reason = `openf1 weather of meeting ${raceSession.meeting_key} (${race.season} R${race.round}) not fetched: ${err instanceof Error ? err.message : String(err)}`;
    return { records: [], rejected: [], warnings: [{ table: 'session_weather', raw: { meeting_key: raceSession.meeting_key }, reason }] };
  }
  const mapped = openf1WeatherRecords(race, sessions.filter((s) => s.meeting_key === raceSession.meeting_key), samples);
  const bad = invalid.map((i) => ({ table: 'session_weather' as const, raw: i.raw, reason: `openf1 weather meeting ${raceSession.meeting_key}: ${i.reason}` }));
  return { records: mapped.records, rejected: [...bad, ...mapped.rejected], warnings: [] };
}
