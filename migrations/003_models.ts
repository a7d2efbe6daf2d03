import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Trained models and the runs that trained them. Race models and pit-stop models register
 * in the same table, told apart by `kind`; a version string is unique per kind.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE training_runs (
      id serial PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('race', 'pit')),
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
      duration_ms integer CHECK (duration_ms >= 0),
      parameters jsonb NOT NULL DEFAULT '{}',
      error text,
      task_index integer,
      task_attempt integer,
      CHECK ((status = 'running') = (finished_at IS NULL)),
      CHECK (status <> 'failed' OR error IS NOT NULL)
    );

    CREATE TABLE model_versions (
      id serial PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('race', 'pit')),
      version text NOT NULL CHECK (version <> ''),
      trained_at timestamptz NOT NULL,
      data_from_season integer NOT NULL,
      data_to_season integer NOT NULL,
      data_snapshot text NOT NULL,
      metrics jsonb NOT NULL DEFAULT '{}',
      artifact_uri text NOT NULL CHECK (artifact_uri <> ''),
      code_revision text,
      training_run_id integer REFERENCES training_runs (id) ON DELETE SET NULL,
      UNIQUE (kind, version),
      CHECK (data_from_season <= data_to_season)
    );
    CREATE INDEX model_versions_kind_trained_idx ON model_versions (kind, trained_at DESC);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS model_versions, training_runs');
}
