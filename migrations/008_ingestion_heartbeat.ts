import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * A running ingestion run beats (heartbeat_at = now()) while its process is alive, so the
 * next run can tell a run whose process died (still 'running', silent for minutes) and
 * mark it failed instead of leaving it 'running' forever.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    ALTER TABLE ingestion_runs ADD COLUMN heartbeat_at timestamptz NOT NULL DEFAULT now();
    UPDATE ingestion_runs SET heartbeat_at = coalesce(finished_at, started_at);
    CREATE INDEX ingestion_runs_running_idx ON ingestion_runs (heartbeat_at) WHERE status = 'running';
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, `
    DROP INDEX IF EXISTS ingestion_runs_running_idx;
    ALTER TABLE ingestion_runs DROP COLUMN IF EXISTS heartbeat_at;
  `);
}
