import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Weather (issue 15):
 *
 * - `session_weather`: OpenF1's samples (about one a minute) per race and session, loaded by
 *   the one loader on the natural key (race, session, sampled_at).
 * - `weather_forecasts`: every Open-Meteo fetch of a race-day forecast, kept (not replaced),
 *   so a freeze can be shown the newest one fetched no later than itself.
 * - `predictions.weather`: what a frozen snapshot saw, {forecast, reason}; NULL for snapshots
 *   frozen before this migration. Adding the column rewrites no row, so 004's and 007's
 *   immutability triggers are untouched and still refuse any later UPDATE of it.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE session_weather (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id),
      session text NOT NULL CHECK (session IN ('fp1', 'fp2', 'fp3', 'sprint_qualifying', 'sprint', 'qualifying', 'race')),
      session_key integer NOT NULL,
      sampled_at timestamptz NOT NULL,
      air_temperature double precision,
      track_temperature double precision,
      humidity double precision CHECK (humidity BETWEEN 0 AND 100),
      pressure double precision,
      rainfall double precision CHECK (rainfall >= 0),
      wind_direction double precision,
      wind_speed double precision CHECK (wind_speed >= 0),
      CONSTRAINT session_weather_natural_key UNIQUE (race_id, session, sampled_at)
    );

    CREATE TABLE weather_forecasts (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id),
      source text NOT NULL CHECK (source IN ('open-meteo')),
      fetched_at timestamptz NOT NULL,
      latitude double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
      longitude double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
      hours jsonb NOT NULL CHECK (jsonb_typeof(hours) = 'array'),
      summary jsonb NOT NULL CHECK (jsonb_typeof(summary) = 'object'),
      UNIQUE (race_id, fetched_at)
    );

    ALTER TABLE predictions ADD COLUMN weather jsonb CHECK (weather IS NULL OR jsonb_typeof(weather) = 'object');
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, `
    ALTER TABLE predictions DROP COLUMN IF EXISTS weather;
    DROP TABLE IF EXISTS weather_forecasts;
    DROP TABLE IF EXISTS session_weather;
  `);
}
