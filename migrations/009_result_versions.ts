import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Corrections after a race (a penalty, a disqualification): every distinct classification a
 * race has had is a version, kept whole with when it was synced and what changed; the
 * results table keeps holding the current one. An evaluation says which version it scored;
 * a score against an older version moves to evaluation_history when the race is re-scored.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE result_versions (
      id serial PRIMARY KEY,
      race_id integer NOT NULL REFERENCES races (id) ON DELETE CASCADE,
      version integer NOT NULL CHECK (version >= 1),
      synced_at timestamptz NOT NULL,
      run_id integer REFERENCES ingestion_runs (id) ON DELETE SET NULL,
      classification jsonb NOT NULL,
      changes jsonb NOT NULL,
      summary text NOT NULL,
      CONSTRAINT result_versions_one_per_number UNIQUE (race_id, version)
    );

    ALTER TABLE evaluations ADD COLUMN result_version integer CHECK (result_version >= 1);

    CREATE TABLE evaluation_history (
      id serial PRIMARY KEY,
      evaluation_id integer NOT NULL REFERENCES evaluations (id) ON DELETE CASCADE,
      race_id integer NOT NULL REFERENCES races (id) ON DELETE CASCADE,
      prediction_id integer NOT NULL REFERENCES predictions (id),
      result_version integer,
      superseded_at timestamptz NOT NULL,
      -- The superseded evaluation as it was served (the columns of evaluations, camelCase).
      evaluation jsonb NOT NULL
    );
    CREATE INDEX evaluation_history_prediction_idx ON evaluation_history (prediction_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, `
    DROP TABLE IF EXISTS evaluation_history;
    ALTER TABLE evaluations DROP COLUMN IF EXISTS result_version;
    DROP TABLE IF EXISTS result_versions;
  `);
}
