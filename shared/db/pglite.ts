import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { textParsers } from './types.js';

/**
 * Embedded PostgreSQL (PGlite) for local runs with no database server. One connection
 * only: callers must pass the transaction down rather than query the root knex inside it.
 */
export async function openPglite(dir: string | undefined): Promise<{ knex: Knex; pglite: PGlite }> {
  if (dir) fs.mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create(dir ?? 'memory://', { parsers: textParsers });
  return { knex: knexOverPglite(pglite), pglite };
}

/** A knex over an existing PGlite instance (for example a clone() in tests). */
export function knexOverPglite(pglite: PGlite): Knex {
  return knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: () => ({ pglite }) as never,
  });
}
