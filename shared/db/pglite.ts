import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { acquireDirLock } from './pglite-lock.js';
import { textParsers } from './types.js';

/**
 * Embedded PostgreSQL (PGlite) for local runs with no database server. One connection
 * only: callers must pass the transaction down rather than query the root knex inside it.
 * A data directory is held by one process at a time (see pglite-lock.ts). `close` must be
 * called: knex.destroy() alone leaves PGlite open when no query ran (its timers then keep
 * the process alive) and leaves the directory locked.
 */
export async function openPglite(dir: string | undefined): Promise<{ knex: Knex; pglite: PGlite; close(): Promise<void> }> {
  const lock = dir ? acquireDirLock(dir) : undefined;
  let pglite: PGlite;
  try {
    if (dir) fs.mkdirSync(dir, { recursive: true });
    pglite = await PGlite.create(dir ?? 'memory://', { parsers: textParsers });
  } catch (err) {
    lock?.release();
    throw err;
  }
  const knex = knexOverPglite(pglite);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      try {
        await knex.destroy();
        if (!pglite.closed) await pglite.close();
      } finally {
        lock?.release();
      }
    })());
  return { knex, pglite, close };
}

/** A knex over an existing PGlite instance (for example a clone() in tests). */
export function knexOverPglite(pglite: PGlite): Knex {
  return knexFactory({
    client: ClientPgLite as unknown as typeof knexFactory.Client,
    dialect: 'postgres',
    connection: () => ({ pglite }) as never,
  });
}
