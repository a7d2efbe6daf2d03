import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Live timing (issue 16): OpenF1 /position and /intervals of a race as it runs, per race,
 * driver and instant. OpenF1 sends a car's position and its gaps as separate samples at their
 * own instants, so a row may carry either or both (the upsert keeps what an earlier sample of
 * the same instant gave). Gaps are milliseconds; when OpenF1 says "+N LAP" instead, the laps
 * go in their own column and the milliseconds stay null.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE live_timing (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id),
      driver_id integer NOT NULL REFERENCES drivers (id),
      at timestamptz NOT NULL,
      position integer CHECK (position >= 1),
      gap_to_leader_ms integer CHECK (gap_to_leader_ms >= 0),
      laps_down integer CHECK (laps_down >= 1),
      interval_ms integer CHECK (interval_ms >= 0),
      interval_laps integer CHECK (interval_laps >= 1),
      CONSTRAINT live_timing_natural_key UNIQUE (race_id, driver_id, at)
    );
    CREATE INDEX live_timing_race_at ON live_timing (race_id, at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, 'DROP TABLE IF EXISTS live_timing;');
}
