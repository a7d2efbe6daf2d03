import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import type { Database } from '../../shared/db/connect.js';
import { migrateLatest } from '../../shared/db/migrate.js';
import { openPglite } from '../../shared/db/pglite.js';
import { openPostgres } from '../../shared/db/postgres.js';
import { requirePostgres, testDatabaseUrl } from './settings.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  skip: boolean;
  skipReason: string;
  /** A fresh, migrated, empty database. */
  open(): Promise<Database & { url?: string }>;
}

const pgliteBackend: Backend = {
  name: 'pglite',
  skip: false,
  skipReason: '',
  async open() {
    const { knex } = await openPglite(undefined);
    await migrateLatest(knex);
    return { knex, kind: 'pglite', close: () => knex.destroy() };
  },
};

const pgRequirement = requirePostgres();
const postgresBackend: Backend = {
  name: 'postgres',
  skip: pgRequirement.skip,
  skipReason: pgRequirement.reason,
  async open() {
    const { url, drop } = await createScratchDatabase();
    const knex = openPostgres(url, 5);
    await migrateLatest(knex);
    return {
      knex,
      kind: 'postgres',
      url,
      close: async () => {
        await knex.destroy();
        await drop();
      },
    };
  },
};

/** Both backends the repository must behave the same on. */
export const backends: Backend[] = [pgliteBackend, postgresBackend];

/** Creates a uniquely named database on the test server; `drop` removes it. */
export async function createScratchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!testDatabaseUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `pitwall_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: testDatabaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: testDatabaseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export type { Knex };
