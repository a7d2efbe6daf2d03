import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { migrateLatest } from '../../shared/db/migrate.js';
import { knexOverPglite, openPglite } from '../../shared/db/pglite.js';
import { openPostgres } from '../../shared/db/postgres.js';
import { createRepository } from '../../shared/repository/index.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { backends, createScratchDatabase } from '../helpers/databases.js';
import { testDatabaseUrl } from '../helpers/settings.js';
import { repositoryContract } from './contract.js';

/**
 * One contract, three implementations: in memory, embedded PGlite, a real PostgreSQL. Every
 * test gets an empty, migrated database of its own, copied from one migrated once per run
 * (a PGlite clone; a PostgreSQL CREATE DATABASE ... TEMPLATE), since migrating each costs seconds.
 */
repositoryContract('the in-memory repository', async () => ({ repo: createMemoryRepository(), close: async () => undefined }));

let pglite: { pglite: PGlite; close(): Promise<void> } | undefined;
beforeAll(async () => {
  pglite = await openPglite(undefined);
  await migrateLatest(knexOverPglite(pglite.pglite));
});
afterAll(async () => pglite?.close());

repositoryContract('pglite', async () => {
  const copy = (await pglite!.pglite.clone()) as PGlite;
  const knex = knexOverPglite(copy);
  return {
    repo: createRepository(knex),
    close: async () => {
      await knex.destroy();
      if (!copy.closed) await copy.close();
    },
  };
});

const postgres = backends.find((b) => b.name === 'postgres')!;
let template: { name: string; drop(): Promise<void> } | undefined;
let copies = 0;
beforeAll(async () => {
  if (postgres.skip) return;
  const scratch = await createScratchDatabase();
  const knex = openPostgres(scratch.url, 1);
  await migrateLatest(knex);
  await knex.destroy();
  template = { name: new URL(scratch.url).pathname.slice(1), drop: scratch.drop };
});
afterAll(async () => template?.drop());

const admin = async <T>(work: (c: pg.Client) => Promise<T>): Promise<T> => {
  const c = new pg.Client({ connectionString: testDatabaseUrl });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
};

repositoryContract(
  'postgres',
  async () => {
    const name = `${template!.name}_${++copies}`;
    await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template!.name}`));
    const url = new URL(testDatabaseUrl!);
    url.pathname = `/${name}`;
    const knex = openPostgres(url.toString(), 5);
    return {
      repo: createRepository(knex),
      close: async () => {
        await knex.destroy();
        await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      },
    };
  },
  { skip: postgres.skip },
);
