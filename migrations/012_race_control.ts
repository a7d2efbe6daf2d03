import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * OpenF1 race control messages (issue 15) per race and session, loaded by the one loader.
 * OpenF1 gives them no id, so the natural key is (race, session, issued_at, message): two
 * different messages in the same second are both kept, a repeated fetch updates in place.
 * driver_id is nullable: track-wide messages concern no driver, and a car number that is
 * not one of the race's entrants is kept with no driver (the ingest records a warning).
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE race_control (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id),
      session text NOT NULL CHECK (session IN ('fp1', 'fp2', 'fp3', 'sprint_qualifying', 'sprint', 'qualifying', 'race')),
      session_key integer NOT NULL,
      issued_at timestamptz NOT NULL,
      lap integer CHECK (lap >= 1),
      driver_id integer REFERENCES drivers (id),
      category text NOT NULL CHECK (category <> ''),
      flag text,
      scope text,
      sector integer CHECK (sector >= 1),
      message text NOT NULL CHECK (message <> ''),
      CONSTRAINT race_control_natural_key UNIQUE (race_id, session, issued_at, message)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, 'DROP TABLE IF EXISTS race_control;');
}
