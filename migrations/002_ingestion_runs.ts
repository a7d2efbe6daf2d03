import type { Knex } from 'knex';
import { runScript } from './sql.js';

/** The audit trail of ingestion: every run with its counts, and every row it refused. */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    CREATE TABLE ingestion_runs (
      id serial PRIMARY KEY,
      source text NOT NULL CHECK (source IN ('dump', 'laps', 'jolpica', 'openf1', 'results-sync')),
      parameters jsonb NOT NULL DEFAULT '{}',
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
      counts jsonb NOT NULL DEFAULT '{}',
      error text,
      CHECK (finished_at IS NULL OR finished_at >= started_at),
      CHECK ((status = 'running') = (finished_at IS NULL))
    );

    CREATE TABLE quarantined_rows (
      id bigserial PRIMARY KEY,
      run_id integer NOT NULL REFERENCES ingestion_runs (id) ON DELETE CASCADE,
      source text NOT NULL,
      table_name text NOT NULL,
      raw jsonb NOT NULL,
      reason text NOT NULL CHECK (reason <> ''),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX quarantined_rows_run_idx ON quarantined_rows (run_id);

    -- Source rows a run loaded but fixed on purpose (a known quirk, e.g. swapped stop/lap)
    -- or loaded with a warning (e.g. implausible pit stops): the raw row, what was stored, why.
    CREATE TABLE ingestion_notes (
      id bigserial PRIMARY KEY,
      run_id integer NOT NULL REFERENCES ingestion_runs (id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('corrected', 'warning')),
      table_name text NOT NULL,
      raw jsonb NOT NULL,
      corrected jsonb,
      reason text NOT NULL CHECK (reason <> ''),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ingestion_notes_run_idx ON ingestion_notes (run_id);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS ingestion_notes, quarantined_rows, ingestion_runs');
}
