import type { Knex } from 'knex';
import { migrationSource } from '../../migrations/index.js';

/** Brings the schema up to date. Run by `pitwall migrate`, at local start and by CI/CD; never per request. */
export async function migrateLatest(knex: Knex): Promise<{ applied: string[] }> {
  const [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
  return { applied };
}

export async function migrationStatus(knex: Knex): Promise<{ pending: number }> {
  const pending = (await knex.migrate.list({ migrationSource })) as [unknown[], unknown[]];
  return { pending: pending[1].length };
}

export async function rollbackAll(knex: Knex): Promise<void> {
  await knex.migrate.rollback({ migrationSource }, true);
}
