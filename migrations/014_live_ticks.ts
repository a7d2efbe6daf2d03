import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Live ticks (issue 16): one row per stored LiveTick, what the dashboard is pushed. The
 * natural key is (race, at): `at` is the instant of the upstream data the tick read, so a
 * poll that runs twice over the same data stores one tick. `lap` is kept beside the payload
 * for the win-probability history; `created_at` (the database's clock) says which races are
 * live now. The id orders a race's ticks for the push: an SSE client resumes after the last
 * id it saw (Last-Event-ID).
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE live_ticks (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id),
      at timestamptz NOT NULL,
      lap integer NOT NULL CHECK (lap >= 0),
      payload jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT live_ticks_natural_key UNIQUE (race_id, at)
    );
    CREATE INDEX live_ticks_race_id_id ON live_ticks (race_id, id);
    CREATE INDEX live_ticks_created_at ON live_ticks (created_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, 'DROP TABLE IF EXISTS live_ticks;');
}
