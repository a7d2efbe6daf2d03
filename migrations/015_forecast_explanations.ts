import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Why a forecast says what it says, and who beats whom (issue 17):
 *
 * - `prediction_entries.reasons`: the entry's biggest reasons (shared/domain/forecast.ts
 *   ForecastReason[]), a JSON array; NULL for entries frozen before this migration or by a
 *   forecaster without a model.
 * - `predictions.head_to_head`: {driverIds, p} with p[i][j] = P(driverIds[i] finishes ahead of
 *   driverIds[j]) from the snapshot's sampled orders; NULL when frozen before this migration.
 *
 * Both are written by the freeze's one insert. Adding the columns rewrites no row, and 004's and
 * 007's triggers refuse every UPDATE and DELETE of a frozen row whatever its columns, and any entry
 * inserted after its prediction's transaction, so the new columns are frozen with the rest.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    ALTER TABLE prediction_entries ADD COLUMN reasons jsonb CHECK (reasons IS NULL OR jsonb_typeof(reasons) = 'array');
    ALTER TABLE predictions ADD COLUMN head_to_head jsonb CHECK (head_to_head IS NULL OR jsonb_typeof(head_to_head) = 'object');
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, `
    ALTER TABLE predictions DROP COLUMN IF EXISTS head_to_head;
    ALTER TABLE prediction_entries DROP COLUMN IF EXISTS reasons;
  `);
}
