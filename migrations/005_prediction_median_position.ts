import type { Knex } from 'knex';
import { runScript } from './sql.js';

/**
 * Each entry's median finishing position, the point forecast that position MAE scores.
 * Nullable: snapshots frozen before this column existed stay as they were (frozen rows are
 * immutable; adding a column fires no row trigger), and read back without a median.
 */
export async function up(knex: Knex): Promise<void> {
  await runScript(knex, `
    ALTER TABLE prediction_entries
      ADD COLUMN median_position double precision CHECK (median_position >= 1);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await runScript(knex, `
    ALTER TABLE prediction_entries DROP COLUMN IF EXISTS median_position;
  `);
}
