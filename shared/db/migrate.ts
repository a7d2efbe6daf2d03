import type { Knex } from 'knex';
import { migrationSource, migrations } from '../../migrations/index.js';
import type { Config } from '../config/config.js';
import { PitwallError } from '../errors.js';
import { grantAppRole, type AppRoleGrant } from './app-role.js';
import { openDatabase } from './connect.js';

/** Migrations are pending and this connection's role cannot apply them (it owns nothing). */
export class MigrationsPendingError extends PitwallError {
  constructor(role: string, pending: string[]) {
    super(
      `${pending.length} database migration(s) pending (${pending.join(', ')}) and ${role} cannot apply them: ` +
        'run `pitwall migrate` with the owner connection (MIGRATION_DATABASE_URL, or DB_MIGRATION_USER and DB_MIGRATION_PASSWORD)',
      'migrations_pending',
      { role, pending },
    );
  }
}

/**
 * Brings the schema up to date. Run by `pitwall migrate`, at local start and by CI/CD; never
 * per request. With nothing pending it only reads (so the application role, which may not
 * write knex's tables, passes through); `appRole` then grants that role its privileges.
 */
export async function migrateLatest(knex: Knex, options: { appRole?: string } = {}): Promise<{ applied: string[]; appRole?: AppRoleGrant }> {
  const pending = await pendingMigrations(knex);
  let applied: string[] = [];
  if (pending.length > 0) {
    const { rows } = await knex.raw<{ rows: [{ role: string; can: boolean }] }>(`
      SELECT current_user AS role,
        CASE WHEN to_regclass('knex_migrations') IS NULL THEN has_schema_privilege('public', 'CREATE')
             ELSE pg_has_role((SELECT relowner FROM pg_class WHERE oid = to_regclass('knex_migrations')), 'USAGE') END AS can`);
    if (!rows[0].can) throw new MigrationsPendingError(rows[0].role, pending);
    [, applied] = (await knex.migrate.latest({ migrationSource })) as [number, string[]];
  }
  if (!options.appRole) return { applied };
  return { applied, appRole: await grantAppRole(knex, options.appRole) };
}

/**
 * Migrates as the configuration says: through the owner's connection when one is configured
 * (MIGRATION_DATABASE_URL, DB_MIGRATION_USER), else through `knex`; then grants the
 * application role, if any. `knex` is the caller's own connection (on PGlite, the only one).
 */
export async function migrateConfigured(
  config: Pick<Config, 'migrationDatabase' | 'appRole'>,
  knex: Knex,
): Promise<{ applied: string[]; appRole?: AppRoleGrant }> {
  const options = config.appRole ? { appRole: config.appRole } : {};
  if (!config.migrationDatabase) return migrateLatest(knex, options);
  const owner = await openDatabase(config.migrationDatabase);
  try {
    return await migrateLatest(owner.knex, options);
  } finally {
    await owner.close();
  }
}

/** The migrations not yet applied, read without creating knex's tables. */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  const { rows } = await knex.raw<{ rows: [{ present: boolean }] }>(`SELECT to_regclass('knex_migrations') IS NOT NULL AS present`);
  const done = rows[0].present ? new Set((await knex('knex_migrations').select('name')).map((r: { name: string }) => r.name)) : new Set<string>();
  return migrations.map(([name]) => name).filter((name) => !done.has(name));
}
