import type { Knex } from 'knex';
import { afterAll, beforeAll } from 'vitest';
import { createRepository } from '../../shared/repository/index.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { backends } from '../helpers/databases.js';
import { repositoryContract } from './contract.js';

/** One contract, three implementations: in memory, embedded PGlite, a real PostgreSQL. */
repositoryContract('the in-memory repository', async () => ({ repo: createMemoryRepository(), close: async () => undefined }));

/**
 * Migrating a database costs seconds (a PGlite clone about two), so each SQL backend gets one
 * migrated database per run, emptied before every test: every table but the migration
 * bookkeeping and the seeded forecast_baselines, sequences restarted. The freeze triggers refuse
 * DELETE, as they must for the application; the owner sets them aside inside the one
 * transaction that empties the tables (session_replication_role, which the app role cannot set).
 */
async function emptier(knex: Knex): Promise<() => Promise<void>> {
  const { rows } = await knex.raw<{ rows: { tablename: string }[] }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('knex_migrations', 'knex_migrations_lock', 'forecast_baselines')`,
  );
  const { rows: sequences } = await knex.raw<{ rows: { name: string }[] }>(`SELECT sequencename AS name FROM pg_sequences WHERE schemaname = 'public' AND sequencename NOT LIKE 'knex_%'`);
  // DELETE rather than TRUNCATE: on tables this small it is many times faster on PostgreSQL.
  const script = [
    'SET LOCAL session_replication_role = replica',
    ...rows.map((r) => `DELETE FROM ${r.tablename}`),
    ...sequences.map((q) => `SELECT setval('${q.name}', 1, false)`),
  ];
  return () =>
    knex.transaction(async (trx) => {
      // One statement at a time: PGlite takes no multi-statement queries.
      for (const statement of script) await trx.raw(statement);
    });
}

for (const backend of backends) {
  let db: Awaited<ReturnType<typeof backend.open>> | undefined;
  let empty: () => Promise<void>;
  beforeAll(async () => {
    if (backend.skip) return;
    db = await backend.open();
    empty = await emptier(db.knex);
  });
  afterAll(async () => db?.close());

  repositoryContract(
    backend.name,
    async () => {
      await empty();
      return { repo: createRepository(db!.knex), close: async () => undefined };
    },
    { skip: backend.skip },
  );
}
