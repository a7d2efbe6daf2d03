import type { RaceWeatherForecast } from '../../domain/weather.js';
import type { WeatherStore } from '../weather-store.js';
import { ConstraintError, copy, jsonb, type Session } from './tables.js';

/** Race-day forecasts in memory, with migrations/010's foreign key and unique (race, fetched_at). */
export function createMemoryWeatherStore(s: Session): WeatherStore {
  const t = s.tables;
  const all = () => t.rows('weather_forecasts').map((r) => r.forecast as RaceWeatherForecast);
  return {
    async saveForecast(f) {
      if (!t.get('races', f.raceId)) throw new ConstraintError(`insert or update on table "weather_forecasts" violates foreign key (race ${f.raceId} does not exist)`, '23503');
      if (all().some((x) => x.raceId === f.raceId && x.fetchedAt.getTime() === f.fetchedAt.getTime())) {
        throw new ConstraintError(`duplicate key value violates unique constraint "weather_forecasts_race_id_fetched_at_key"`, '23505');
      }
      const id = t.nextId('weather_forecasts');
      const forecast: RaceWeatherForecast = { ...f, id, fetchedAt: new Date(f.fetchedAt), hours: jsonb(f.hours), summary: jsonb(f.summary) };
      s.write('weather_forecasts', id, { forecast });
      return copy(forecast);
    },
    async latestForecast(raceId, notAfter) {
      const found = all()
        .filter((f) => f.raceId === raceId && f.fetchedAt.getTime() <= notAfter.getTime())
        .sort((a, b) => b.fetchedAt.getTime() - a.fetchedAt.getTime() || b.id - a.id)[0];
      return found ? copy(found) : undefined;
    },
  };
}
