import pg from 'pg';
import knexFactory, { type Knex } from 'knex';
import { textParsers } from './types.js';

/** node-postgres over a postgres:// URL (this machine's server, or any reachable one). */
export function openPostgres(url: string, poolMax: number): Knex {
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, types: { getTypeParser: pgTypeParser } } as Knex.PgConnectionConfig,
    pool: { min: 0, max: poolMax },
  });
}

/** Per-connection type parsing; the pg module's global parsers are left alone. */
export function pgTypeParser(oid: number, format?: string): (value: string) => unknown {
  const own = textParsers[oid];
  if (own && format !== 'binary') return own;
  // Fall back to pg's defaults for every other type.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (pg.types.getTypeParser as any)(oid, format);
}



