import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Knex } from 'knex';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateCommand } from '../../shared/cli/commands/migrate.js';
import { ConfigError, parseConfig } from '../../shared/config/config.js';
import { AppRoleError } from '../../shared/db/app-role.js';
import { migrateConfigured, migrateLatest, MigrationsPendingError, pendingMigrations } from '../../shared/db/migrate.js';
import { openPostgres } from '../../shared/db/postgres.js';
import { createLogger } from '../../shared/log/logger.js';
import { createScratchDatabase } from '../helpers/databases.js';
import { requirePostgres, testDatabaseUrl } from '../helpers/settings.js';

/**
 * Migrations run as the owner, the functions as an application role (issue 13 item 2):
 * `pitwall migrate` connects with the migration settings and grants the role only DML, and
 * takes away what Cloud SQL gives every user it creates (a membership of cloudsqlsuperuser,
 * CREATEROLE, CREATEDB), any of which would let the role undo the triggers.
 */

const postgres = requirePostgres();
const tag = randomBytes(4).toString('hex');
const quietLogger = createLogger({ format: 'json', level: 'error', stream: new PassThrough() });

async function admin(sql: string, database?: string): Promise<void> {
  const url = new URL(testDatabaseUrl!);
  if (database) url.pathname = `/${database}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

const loginUrl = (url: string, user: string, password: string) => {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
};

describe.skipIf(postgres.skip)('pitwall migrate as the owner, with an application role', () => {
  const owner = `pitwall_test_owner_${tag}`;
  const app = `pitwall_test_app_${tag}`;
  // Stands for cloudsqlsuperuser: a role Cloud SQL makes every API-created user a member of.
  const group = `pitwall_test_group_${tag}`;
  const password = randomBytes(12).toString('hex');
  /** Never migrated: the application role's refusal on an empty database. */
  let emptyUrl: string;
  /** Migrated by the owner for the application role once, before the tests that need a migrated database. */
  let migratedUrl: string;
  const drops: (() => Promise<void>)[] = [];
  const open: Knex[] = [];
  const knexAs = (url: string, user: string) => {
    const k = openPostgres(loginUrl(url, user, password), 1);
    open.push(k);
    return k;
  };
  const dbName = (url: string) => new URL(url).pathname.slice(1);
  /** A scratch database the owner owns, as Cloud SQL's are (dropped after the file). */
  const ownedDatabase = async (): Promise<string> => {
    const { url, drop } = await createScratchDatabase();
    drops.push(drop);
    await admin(`ALTER DATABASE ${dbName(url)} OWNER TO ${owner}`);
    await admin(`ALTER SCHEMA public OWNER TO ${owner}`, dbName(url));
    return url;
  };
  /** The application role as Cloud SQL creates a user (a migration with it takes these away; idempotent). */
  const asCloudSqlCreatesIt = async () => {
    await admin(`ALTER ROLE ${app} CREATEROLE CREATEDB`);
    await admin(`GRANT ${group} TO ${app}`);
  };

  beforeAll(async () => {
    await admin(`CREATE ROLE ${owner} LOGIN CREATEROLE PASSWORD '${password}'`);
    await admin(`CREATE ROLE ${group} NOLOGIN`);
    // As Cloud SQL creates a user: able to create roles and databases, and a member of a group.
    await admin(`CREATE ROLE ${app} LOGIN CREATEROLE CREATEDB PASSWORD '${password}' IN ROLE ${group}`);
    [emptyUrl, migratedUrl] = await Promise.all([ownedDatabase(), ownedDatabase()]);
    await migrateLatest(knexAs(migratedUrl, owner), { appRole: app });
  });

  afterAll(async () => {
    await Promise.all(open.map((k) => k.destroy()));
    for (const drop of drops) await drop();
    for (const role of [app, group, owner]) await admin(`DROP ROLE IF EXISTS ${role}`);
  });

  it('refuses to migrate as the application role on an empty database, saying which connection to use', async () => {
    const err = await migrateLatest(knexAs(emptyUrl, app)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationsPendingError);
    expect((err as Error).message).toMatch(new RegExp(`migration\\(s\\) pending \\(001_reference_data.*\\) and ${app} cannot apply them: run \`pitwall migrate\` with the owner connection \\(MIGRATION_DATABASE_URL`));
    expect(await knexAs(emptyUrl, owner).raw(`SELECT to_regclass('knex_migrations') AS t`).then((r) => r.rows[0].t)).toBeNull();
  });

  it('migrates through MIGRATION_DATABASE_URL, grants the DATABASE_URL user its DML and strips what it must not hold', async () => {
    const url = await ownedDatabase();
    await asCloudSqlCreatesIt();
    const config = parseConfig({ DATABASE_URL: loginUrl(url, app, password), MIGRATION_DATABASE_URL: loginUrl(url, owner, password) }, '/tmp');
    const out = new PassThrough();
    let written = '';
    out.on('data', (c: Buffer) => (written += c.toString()));
    expect(await migrateCommand.run({ config, logger: quietLogger, stdout: out }, [])).toBe(0);
    const summary = JSON.parse(written) as { applied: string[]; appRole: { role: string; revoked: string[] } };
    expect(summary.applied).toContain('007_frozen_snapshots');
    expect(summary.appRole).toEqual({ role: app, revoked: [`member of ${group}`, 'CREATEROLE', 'CREATEDB'] });

    const ownerKnex = knexAs(url, owner);
    const { rows: [role] } = await ownerKnex.raw(`SELECT rolcreaterole, rolcreatedb, pg_has_role(?, ?, 'MEMBER') AS in_group FROM pg_roles WHERE rolname = ?`, [app, group, app]);
    expect(role).toEqual({ rolcreaterole: false, rolcreatedb: false, in_group: false });
    const { rows: owners } = await ownerKnex.raw(`SELECT DISTINCT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'`);
    expect(owners).toEqual([{ owner }]);
    const privileges = async (table: string) =>
      (
        await ownerKnex.raw(
          `SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','TRIGGER','REFERENCES']) AS p WHERE has_table_privilege(?, ?, p)`,
          [app, table],
        )
      ).rows.map((r: { p: string }) => r.p);
    expect(await privileges('predictions')).toEqual(['SELECT', 'INSERT']);
    expect(await privileges('prediction_entries')).toEqual(['SELECT', 'INSERT']);
    expect(await privileges('knex_migrations')).toEqual(['SELECT']);
    expect(await privileges('ingestion_runs')).toEqual(['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
    expect(await privileges('evaluations')).toEqual(['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
    // A serial id: the application can draw it.
    expect((await ownerKnex.raw(`SELECT has_sequence_privilege(?, 'ingestion_runs_id_seq', 'USAGE') AS ok`, [app])).rows[0].ok).toBe(true);
  });

  it('lets the application role through migrateLatest when nothing is pending (the training job), and refuses it when something is', async () => {
    const appKnex = knexAs(migratedUrl, app);
    expect(await migrateLatest(appKnex)).toEqual({ applied: [] });
    const ownerKnex = knexAs(migratedUrl, owner);
    const [record] = await ownerKnex('knex_migrations').where({ name: '008_ingestion_heartbeat' }).delete().returning('*');
    try {
      expect(await pendingMigrations(appKnex)).toEqual(['008_ingestion_heartbeat']);
      await expect(migrateLatest(appKnex)).rejects.toThrow(MigrationsPendingError);
      await expect(appKnex('knex_migrations_lock').update({ is_locked: 1 })).rejects.toThrow(/permission denied/);
    } finally {
      await ownerKnex('knex_migrations').insert(record);
    }
  });

  it('migrates a fresh database at local start through the owner connection, though handed the application role\'s', async () => {
    const fresh = await createScratchDatabase();
    const name = new URL(fresh.url).pathname.slice(1);
    try {
      await admin(`ALTER DATABASE ${name} OWNER TO ${owner}`);
      await admin(`ALTER SCHEMA public OWNER TO ${owner}`, name);
      const appKnex = openPostgres(loginUrl(fresh.url, app, password), 1);
      try {
        const config = parseConfig({ DATABASE_URL: loginUrl(fresh.url, app, password), MIGRATION_DATABASE_URL: loginUrl(fresh.url, owner, password) }, '/tmp');
        const { applied, appRole } = await migrateConfigured(config, appKnex);
        expect(applied).toContain('007_frozen_snapshots');
        expect(appRole?.role).toBe(app);
        expect(await pendingMigrations(appKnex)).toEqual([]);
        await expect(appKnex.raw('ALTER TABLE predictions DISABLE TRIGGER ALL')).rejects.toThrow(/must be owner/);
      } finally {
        await appKnex.destroy();
      }
    } finally {
      await fresh.drop();
    }
  });

  it('refuses an application role that does not exist, that is the migrating role itself, or that owns a table', async () => {
    const ownerKnex = knexAs(migratedUrl, owner);
    await expect(migrateLatest(ownerKnex, { appRole: `${app}_typo` })).rejects.toThrow(/does not exist: create it first/);
    await expect(migrateLatest(ownerKnex, { appRole: owner })).rejects.toThrow(/is the role running the migrations/);
    await admin(`CREATE TABLE app_owned (id int)`, dbName(migratedUrl));
    try {
      await admin(`ALTER TABLE app_owned OWNER TO ${app}`, dbName(migratedUrl));
      const err = await migrateLatest(ownerKnex, { appRole: app }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppRoleError);
      expect((err as Error).message).toMatch(/owns app_owned: an owner can disable the triggers/);
    } finally {
      await admin(`DROP TABLE app_owned`, dbName(migratedUrl));
    }
  });
});

describe('migration settings', () => {
  const app = 'postgres://pitwall_app:pw@db.example:5432/pitwall';
  it('takes the application role from the app connection when a separate owner connection is set, or from DB_APP_ROLE', () => {
    expect(parseConfig({ DATABASE_URL: app, MIGRATION_DATABASE_URL: 'postgres://pitwall:x@db.example/pitwall' }, '/tmp')).toMatchObject({
      database: { kind: 'postgres', url: app },
      migrationDatabase: { kind: 'postgres', url: 'postgres://pitwall:x@db.example/pitwall' },
      appRole: 'pitwall_app',
    });
    const same = parseConfig({ DATABASE_URL: app }, '/tmp');
    expect(same.migrationDatabase).toBeUndefined();
    expect(same.appRole).toBeUndefined();
    expect(parseConfig({ DATABASE_URL: app, DB_APP_ROLE: 'readers' }, '/tmp').appRole).toBe('readers');
  });

  it('connects to Cloud SQL as DB_MIGRATION_USER with its own password, and the app user becomes the role', () => {
    const config = parseConfig(
      { CLOUD_SQL_INSTANCE: 'p:r:i', DB_USER: 'pitwall_app', DB_PASSWORD: 'app-secret', DB_MIGRATION_USER: 'pitwall', DB_MIGRATION_PASSWORD: 'owner-secret' },
      '/tmp',
    );
    expect(config.migrationDatabase).toEqual({ kind: 'cloud-sql', instance: 'p:r:i', user: 'pitwall', password: 'owner-secret', database: 'pitwall', iamAuth: false, poolMax: 1 });
    expect(config.appRole).toBe('pitwall_app');
  });

  it('says what is missing: a migration password, a server for DB_APP_ROLE', () => {
    expect(() => parseConfig({ CLOUD_SQL_INSTANCE: 'p:r:i', DB_USER: 'a', DB_PASSWORD: 'b', DB_MIGRATION_USER: 'pitwall' }, '/tmp')).toThrow(
      /DB_MIGRATION_PASSWORD: DB_MIGRATION_PASSWORD is required with DB_MIGRATION_USER/,
    );
    expect(() => parseConfig({ DB_APP_ROLE: 'pitwall_app' }, '/tmp')).toThrow(ConfigError);
    expect(() => parseConfig({ DB_APP_ROLE: 'pitwall_app' }, '/tmp')).toThrow(/DB_APP_ROLE: needs a PostgreSQL server .*PGlite has a single role/);
    expect(() => parseConfig({ DATABASE_URL: app, DB_APP_ROLE: 'Robert; DROP' }, '/tmp')).toThrow(/DB_APP_ROLE: must be a lowercase PostgreSQL role name/);
  });
});
