import type { Clock } from '../clock.js';
import type { Race } from '../domain/reference.js';
import type { RaceWeatherForecast, RaceWeatherRefresh, SnapshotWeather } from '../domain/weather.js';
import type { Repository } from '../repository/index.js';

/**
 * The weather a freeze records: one fresh fetch of the race-day forecast (bounded by a
 * deadline), else the newest stored forecast fetched no later than the freeze (and never
 * after the race start). Nothing here can fail or hold the freeze: any failure becomes the
 * recorded reason, and with no forecast the snapshot says `forecast: null` and why.
 */

/** How long a freeze waits for its fresh forecast (the scheduled refreshes already stored one). */
export const FREEZE_WEATHER_DEADLINE_MS = 15_000;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function weatherAtFreeze(
  deps: { repo: Repository; clock: Clock; weather?: RaceWeatherRefresh },
  race: Race,
  now: Date,
  raceStartsAt: Date,
): Promise<SnapshotWeather> {
  const notes: string[] = [];
  let fresh: RaceWeatherForecast | undefined;
  if (!deps.weather) notes.push('no forecast source is configured for this freeze');
  else if (now >= raceStartsAt) notes.push('frozen after the race start: no forecast fetched');
  else {
    try {
      const outcome = await deps.weather(race, { deadlineAt: deps.clock.now().getTime() + FREEZE_WEATHER_DEADLINE_MS });
      if (outcome.status === 'stored') fresh = outcome.forecast;
      else notes.push(outcome.reason);
    } catch (err) {
      notes.push(`the forecast fetch at the freeze failed: ${message(err)}`);
    }
  }
  let seen = fresh;
  if (!seen) {
    try {
      seen = await deps.repo.weather.latestForecast(race.id, now < raceStartsAt ? now : raceStartsAt);
    } catch (err) {
      notes.push(`stored forecasts could not be read: ${message(err)}`);
    }
  }
  if (!seen) return { forecast: null, reason: [...notes, 'no forecast was stored before the freeze'].join('; ') };
  const { id: _id, raceId: _race, fetchedAt, ...rest } = seen;
  return {
    forecast: { ...rest, fetchedAt: fetchedAt.toISOString() },
    reason: notes.length ? `${notes.join('; ')}; recorded the newest stored forecast, fetched ${fetchedAt.toISOString()}` : null,
  };
}
