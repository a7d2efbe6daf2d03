import type { Knex } from 'knex';
import type { NewRaceWeatherForecast, RaceWeatherForecast, RaceWindowSummary, WeatherHour } from '../domain/weather.js';

/** Race-day forecasts, one row per fetch (kept, never replaced: a freeze reads the one it could have seen). */
export interface WeatherStore {
  saveForecast(f: NewRaceWeatherForecast): Promise<RaceWeatherForecast>;
  /** The newest forecast of the race fetched at or before `notAfter`. */
  latestForecast(raceId: number, notAfter: Date): Promise<RaceWeatherForecast | undefined>;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

function mapForecast(r: Record<string, unknown>): RaceWeatherForecast {
  return {
    id: Number(r.id),
    raceId: Number(r.race_id),
    source: 'open-meteo',
    fetchedAt: new Date(r.fetched_at as string),
    latitude: Number(r.latitude),
    longitude: Number(r.longitude),
    hours: json(r.hours) as WeatherHour[],
    summary: json(r.summary) as RaceWindowSummary,
  };
}

export function createWeatherStore(db: Knex | Knex.Transaction): WeatherStore {
  return {
    async saveForecast(f) {
      const [row] = (await db('weather_forecasts')
        .insert({
          race_id: f.raceId, source: f.source, fetched_at: f.fetchedAt, latitude: f.latitude, longitude: f.longitude,
          hours: JSON.stringify(f.hours), summary: JSON.stringify(f.summary),
        })
        .returning('*')) as Record<string, unknown>[];
      return mapForecast(row!);
    },
    async latestForecast(raceId, notAfter) {
      const row = await db('weather_forecasts').where({ race_id: raceId }).where('fetched_at', '<=', notAfter).orderBy([{ column: 'fetched_at', order: 'desc' }, { column: 'id', order: 'desc' }]).first();
      return row ? mapForecast(row as Record<string, unknown>) : undefined;
    },
  };
}
