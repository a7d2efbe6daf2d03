import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Every refused scheduled freeze (no entry list yet, not allowed yet, the race started), so a
 * race that started with no forecast says why: Cloud Scheduler retries the freeze until the
 * race start, and each refusal is kept with its reason.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE freeze_attempts (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races(id) ON DELETE CASCADE,
      policy_key text NOT NULL,
      attempted_at timestamptz NOT NULL,
      status integer NOT NULL CHECK (status BETWEEN 400 AND 599),
      code text NOT NULL,
      reason text NOT NULL
    );
    CREATE INDEX freeze_attempts_race_idx ON freeze_attempts (race_id, policy_key, attempted_at DESC);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, 'DROP TABLE IF EXISTS freeze_attempts;');
}
