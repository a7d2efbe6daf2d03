import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Reference data in the Ergast model (Season → Race → sessions), keyed by natural keys
 * as Jolpica does: season/round for races, the *_ref slugs for drivers, constructors and
 * circuits. `ergast_id` keeps the numeric id of the Ergast dump so dump rows can be
 * mapped; rows that come from the API have none.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE seasons (
      year integer PRIMARY KEY CHECK (year BETWEEN 1950 AND 2100),
      url text
    );

    CREATE TABLE circuits (
      id serial PRIMARY KEY,
      circuit_ref text NOT NULL UNIQUE CHECK (circuit_ref <> ''),
      name text NOT NULL,
      location text,
      country text,
      lat double precision CHECK (lat BETWEEN -90 AND 90),
      lng double precision CHECK (lng BETWEEN -180 AND 180),
      alt integer,
      url text,
      ergast_id integer UNIQUE
    );

    CREATE TABLE drivers (
      id serial PRIMARY KEY,
      driver_ref text NOT NULL UNIQUE CHECK (driver_ref <> ''),
      number integer CHECK (number BETWEEN 0 AND 99),
      code text CHECK (code ~ '^[A-Z]{3}$'),
      forename text NOT NULL,
      surname text NOT NULL,
      dob date,
      nationality text,
      url text,
      ergast_id integer UNIQUE
    );

    CREATE TABLE constructors (
      id serial PRIMARY KEY,
      constructor_ref text NOT NULL UNIQUE CHECK (constructor_ref <> ''),
      name text NOT NULL,
      nationality text,
      url text,
      ergast_id integer UNIQUE
    );

    CREATE TABLE status (
      id serial PRIMARY KEY,
      status text NOT NULL UNIQUE,
      ergast_id integer UNIQUE
    );

    CREATE TABLE races (
      id serial PRIMARY KEY,
      season integer NOT NULL REFERENCES seasons (year),
      round integer NOT NULL CHECK (round BETWEEN 1 AND 40),
      circuit_id integer NOT NULL REFERENCES circuits (id),
      name text NOT NULL,
      race_date date NOT NULL,
      race_time time,
      fp1_date date, fp1_time time,
      fp2_date date, fp2_time time,
      fp3_date date, fp3_time time,
      quali_date date, quali_time time,
      sprint_date date, sprint_time time,
      url text,
      ergast_id integer UNIQUE,
      UNIQUE (season, round),
      CHECK (quali_date IS NULL OR quali_date <= race_date),
      CHECK (sprint_date IS NULL OR sprint_date <= race_date)
    );

    -- Results: early seasons have shared drives (one driver, two cars, one race), so the
    -- natural key includes the car number.
    CREATE TABLE results (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id) ON DELETE CASCADE,
      driver_id integer NOT NULL REFERENCES drivers (id),
      constructor_id integer NOT NULL REFERENCES constructors (id),
      number integer,
      grid integer NOT NULL CHECK (grid >= 0),
      position integer CHECK (position >= 1),
      position_text text NOT NULL,
      position_order integer NOT NULL CHECK (position_order >= 1),
      points double precision NOT NULL CHECK (points >= 0),
      laps integer NOT NULL CHECK (laps >= 0),
      time_text text,
      milliseconds bigint CHECK (milliseconds > 0),
      fastest_lap integer CHECK (fastest_lap >= 0),
      fastest_lap_rank integer CHECK (fastest_lap_rank >= 0),
      fastest_lap_time text,
      fastest_lap_speed double precision,
      status_id integer NOT NULL REFERENCES status (id),
      CONSTRAINT results_natural_key UNIQUE NULLS NOT DISTINCT (race_id, driver_id, number)
    );
    CREATE INDEX results_driver_idx ON results (driver_id);
    CREATE INDEX results_constructor_idx ON results (constructor_id);

    CREATE TABLE sprint_results (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id) ON DELETE CASCADE,
      driver_id integer NOT NULL REFERENCES drivers (id),
      constructor_id integer NOT NULL REFERENCES constructors (id),
      number integer,
      grid integer NOT NULL CHECK (grid >= 0),
      position integer CHECK (position >= 1),
      position_text text NOT NULL,
      position_order integer NOT NULL CHECK (position_order >= 1),
      points double precision NOT NULL CHECK (points >= 0),
      laps integer NOT NULL CHECK (laps >= 0),
      time_text text,
      milliseconds bigint CHECK (milliseconds > 0),
      fastest_lap integer CHECK (fastest_lap >= 0),
      fastest_lap_time text,
      status_id integer NOT NULL REFERENCES status (id),
      UNIQUE (race_id, driver_id)
    );

    CREATE TABLE qualifying (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id) ON DELETE CASCADE,
      driver_id integer NOT NULL REFERENCES drivers (id),
      constructor_id integer NOT NULL REFERENCES constructors (id),
      number integer,
      position integer NOT NULL CHECK (position >= 1),
      q1 text, q2 text, q3 text,
      q1_ms integer CHECK (q1_ms > 0),
      q2_ms integer CHECK (q2_ms > 0),
      q3_ms integer CHECK (q3_ms > 0),
      UNIQUE (race_id, driver_id)
    );

    CREATE TABLE driver_standings (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id) ON DELETE CASCADE,
      driver_id integer NOT NULL REFERENCES drivers (id),
      points double precision NOT NULL CHECK (points >= 0),
      position integer CHECK (position >= 1),
      position_text text,
      wins integer NOT NULL CHECK (wins >= 0),
      UNIQUE (race_id, driver_id)
    );

    CREATE TABLE constructor_standings (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id) ON DELETE CASCADE,
      constructor_id integer NOT NULL REFERENCES constructors (id),
      points double precision NOT NULL CHECK (points >= 0),
      position integer CHECK (position >= 1),
      position_text text,
      wins integer NOT NULL CHECK (wins >= 0),
      UNIQUE (race_id, constructor_id)
    );

    CREATE TABLE constructor_results (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id) ON DELETE CASCADE,
      constructor_id integer NOT NULL REFERENCES constructors (id),
      points double precision CHECK (points >= 0),
      status text,
      UNIQUE (race_id, constructor_id)
    );

    CREATE TABLE pit_stops (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id) ON DELETE CASCADE,
      driver_id integer NOT NULL REFERENCES drivers (id),
      stop integer NOT NULL CHECK (stop BETWEEN 1 AND 10),
      lap integer NOT NULL CHECK (lap >= 1),
      local_time text,
      duration text,
      milliseconds integer CHECK (milliseconds > 0),
      UNIQUE (race_id, driver_id, stop)
    );

    -- Lap-by-lap race data merged from several sources (FastF1, Ergast laps, OpenF1 stints):
    -- one row per car and lap, each column filled by whichever source has it.
    CREATE TABLE laps (
      id bigserial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id) ON DELETE CASCADE,
      driver_id integer NOT NULL REFERENCES drivers (id),
      lap integer NOT NULL CHECK (lap >= 1),
      position integer CHECK (position >= 1),
      time_ms integer CHECK (time_ms > 0),
      compound text CHECK (compound IN ('SOFT', 'MEDIUM', 'HARD', 'INTERMEDIATE', 'WET', 'UNKNOWN')),
      stint integer CHECK (stint >= 1),
      tyre_life integer CHECK (tyre_life >= 0),
      fresh_tyre boolean,
      track_status text CHECK (track_status ~ '^[0-7]*$'),
      pit_in boolean,
      pit_out boolean,
      -- Derived by shared/ingest/pit-flags.ts: the car came in on this lap AND changed tyres.
      -- False for pit-lane passes (same compound, tyre life carries on) and red-flag tyre
      -- changes; pit_in/pit_out keep the raw source values.
      pit_stop boolean,
      sources text[] NOT NULL DEFAULT '{}',
      CHECK (pit_stop IS NOT TRUE OR pit_in IS NOT FALSE),
      UNIQUE (race_id, driver_id, lap)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, `
    DROP TABLE IF EXISTS laps, pit_stops, constructor_results, constructor_standings, driver_standings,
      qualifying, sprint_results, results, races, status, constructors, drivers, circuits, seasons CASCADE;
  `);
}
