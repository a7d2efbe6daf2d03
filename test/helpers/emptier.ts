import type { Knex } from 'knex';

/**
 * For suites that open one migrated database (the repository contract, the ingest suites):
 * `emptier` returns a function that puts it back to "just migrated" before each test, so no
 * test reads what another one wrote. Every table but the migration
 * bookkeeping and the seeded forecast_baselines is emptied, sequences restarted. DELETE rather
 * than TRUNCATE (many times faster on PostgreSQL for tables this small); the freeze triggers
 * refuse DELETE, as they must for the application; the owner sets them aside inside
 * the one transaction (session_replication_role, which the app role cannot set).
 */
export async function emptier(knex: Knex): Promise<() => Promise<void>> {
  const { rows } = await knex.raw<{ rows: { tablename: string }[] }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('knex_migrations', 'knex_migrations_lock', 'forecast_baselines')`,
  );
  const { rows: sequences } = await knex.raw<{ rows: { name: string }[] }>(`SELECT sequencename AS name FROM pg_sequences WHERE schemaname = 'public' AND sequencename NOT LIKE 'knex_%'`);
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
