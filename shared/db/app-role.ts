import type { Knex } from 'knex';
import { PitwallError } from '../errors.js';

/**
 * The application role: what the functions and the training job connect as. It owns
 * nothing and holds only the DML it needs, so it can neither alter a table nor disable,
 * drop or create a trigger, and the frozen-snapshot triggers (migrations/004, 006, 007) bind
 * it. Applied by `pitwall migrate` as the owner, after the migrations, on every run: new
 * tables get their grants, and a role Cloud SQL created with more (its API makes every user
 * a member of cloudsqlsuperuser, with CREATEROLE and CREATEDB) is brought down to this.
 */

export class AppRoleError extends PitwallError {
  constructor(message: string, role: string) {
    super(message, 'app_role_unsafe', { role });
  }
}

/** Snapshots are written once: the role may read and insert them, nothing more. */
const INSERT_ONLY = ['predictions', 'prediction_entries'];
/** Knex's bookkeeping: read to tell whether migrations are pending, never written. */
const READ_ONLY = ['knex_migrations', 'knex_migrations_lock'];

export interface AppRoleGrant {
  role: string;
  /** Memberships and attributes taken away because they would let the role undo the triggers. */
  revoked: string[];
}

export async function grantAppRole(knex: Knex, role: string): Promise<AppRoleGrant> {
  return knex.transaction(async (trx) => {
    const { rows } = await trx.raw<{ rows: { rolsuper: boolean; rolcreaterole: boolean; rolcreatedb: boolean; is_me: boolean }[] }>(
      `SELECT rolsuper, rolcreaterole, rolcreatedb, rolname = current_user AS is_me FROM pg_roles WHERE rolname = ?`,
      [role],
    );
    const found = rows[0];
    if (!found) {
      throw new AppRoleError(`the application role ${role} (DB_APP_ROLE) does not exist: create it first (Terraform creates the application user), or unset DB_APP_ROLE`, role);
    }
    if (found.is_me) {
      throw new AppRoleError(`the application role ${role} is the role running the migrations, which owns the tables: give the functions a role of their own (DB_USER / DATABASE_URL) and migrate with the owner's (DB_MIGRATION_USER / MIGRATION_DATABASE_URL)`, role);
    }
    if (found.rolsuper) throw new AppRoleError(`the application role ${role} is a superuser: no trigger binds it; use a plain role`, role);

    const revoked: string[] = [];
    // Any membership could carry ownership or CREATEROLE (and so SET ROLE to the owner).
    const memberOf = await trx.raw<{ rows: { rolname: string }[] }>(
      `SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = ?)`,
      [role],
    );
    for (const { rolname } of memberOf.rows) {
      await trx.raw('REVOKE ?? FROM ??', [rolname, role]);
      revoked.push(`member of ${rolname}`);
    }
    if (found.rolcreaterole || found.rolcreatedb) {
      await trx.raw('ALTER ROLE ?? NOCREATEROLE NOCREATEDB', [role]);
      if (found.rolcreaterole) revoked.push('CREATEROLE');
      if (found.rolcreatedb) revoked.push('CREATEDB');
    }

    const owned = await trx.raw<{ rows: { relname: string }[] }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = ?) ORDER BY 1`,
      [role],
    );
    if (owned.rows.length > 0) {
      throw new AppRoleError(
        `the application role ${role} owns ${owned.rows.map((r) => r.relname).join(', ')}: an owner can disable the triggers. ` +
          `Hand them to the migration role first (REASSIGN OWNED BY ${role} TO <owner>)`,
        role,
      );
    }

    const tables = (
      await trx.raw<{ rows: { relname: string }[] }>(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v')`,
      )
    ).rows.map((r) => r.relname);
    await trx.raw('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ??', [role]);
    await trx.raw('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ??', [role]);
    await trx.raw('REVOKE CREATE ON SCHEMA public FROM ??', [role]);
    await trx.raw('GRANT USAGE ON SCHEMA public TO ??', [role]);
    await trx.raw('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ??', [role]);
    const present = (names: string[]) => names.filter((t) => tables.includes(t));
    if (present(INSERT_ONLY).length) await trx.raw(`REVOKE UPDATE, DELETE ON ${present(INSERT_ONLY).map(() => '??').join(', ')} FROM ??`, [...present(INSERT_ONLY), role]);
    if (present(READ_ONLY).length) await trx.raw(`REVOKE INSERT, UPDATE, DELETE ON ${present(READ_ONLY).map(() => '??').join(', ')} FROM ??`, [...present(READ_ONLY), role]);
    // serial ids: nextval needs USAGE.
    await trx.raw('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ??', [role]);

    // PostgreSQL before 15 lets PUBLIC create in the public schema: a role that can create
    // objects there could shadow the tables' functions.
    const [{ can_create: canCreate }] = (
      await trx.raw<{ rows: [{ can_create: boolean }] }>(`SELECT has_schema_privilege(?, 'public', 'CREATE') AS can_create`, [role])
    ).rows;
    if (canCreate) {
      await trx.raw('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
      revoked.push('CREATE on schema public (from PUBLIC)');
    }
    const { rows: left } = await trx.raw<{ rows: { what: string }[] }>(
      `SELECT 'CREATE on schema public' AS what WHERE has_schema_privilege(?, 'public', 'CREATE')
       UNION ALL
       SELECT p.priv || ' on ' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         CROSS JOIN (VALUES ('TRUNCATE'), ('TRIGGER'), ('REFERENCES')) AS p(priv)
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND has_table_privilege(?, c.oid, p.priv)`,
      [role, role],
    );
    if (left.length > 0) {
      throw new AppRoleError(`the application role ${role} still holds ${left.map((l) => l.what).join(', ')} (granted to PUBLIC or through a role the migrations cannot change): revoke it`, role);
    }
    return { role, revoked };
  });
}
