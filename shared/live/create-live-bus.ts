import type { Knex } from 'knex';
import pg from 'pg';
import type { DatabaseConfig } from '../config/config.js';
import { pgTypeParser } from '../db/postgres.js';
import type { Logger } from '../log/logger.js';
import { createInProcessLiveBus, type LiveBus } from './live-bus.js';
import { createPgLiveBus, type ListenConnection } from './pg-live-bus.js';

/**
 * The one place the live bus is chosen: a PostgreSQL server (DATABASE_URL, Cloud SQL) may be
 * shared by many instances, so they fan out over LISTEN/NOTIFY; PGlite (one process holds its
 * files) and the memory repository fan out in process.
 */
export function createLiveBus(deps: { database: DatabaseConfig; dbKind: DatabaseConfig['kind'] | 'memory'; knex?: Knex; logger: Logger }): LiveBus {
  const { database, knex, logger } = deps;
  const onError = (err: unknown) => logger.error('live bus: a subscriber failed', { err });
  if (deps.dbKind === 'pglite' || deps.dbKind === 'memory' || database.kind === 'pglite' || !knex) return createInProcessLiveBus({ onError });
  return createPgLiveBus({
    listen: listenConnection(database),
    notify: async (channel, payload) => void (await knex.raw('SELECT pg_notify(?, ?)', [channel, payload])),
    logger,
  });
}

/**
 * A connection of its own for LISTEN, made as shared/db makes the pool's (one strategy per
 * kind), with TCP keepalive so a connection cut without a FIN is noticed and reopened.
 */
export function listenConnection(database: Exclude<DatabaseConfig, { kind: 'pglite' }>): ListenConnection {
  if (database.kind === 'postgres') {
    return { client: async () => new pg.Client({ connectionString: database.url, keepAlive: true, types: { getTypeParser: pgTypeParser } as never }), close: async () => {} };
  }
  let connector: { close(): void } | undefined;
  return {
    async client() {
      const { Connector, IpAddressTypes, AuthTypes } = await import('@google-cloud/cloud-sql-connector');
      const c = (connector ??= new Connector()) as InstanceType<typeof Connector>;
      const opts = await c.getOptions({ instanceConnectionName: database.instance, ipType: IpAddressTypes.PUBLIC, ...(database.iamAuth ? { authType: AuthTypes.IAM } : {}) });
      return new pg.Client({ ...opts, user: database.user, ...(database.password ? { password: database.password } : {}), database: database.database, keepAlive: true });
    },
    async close() {
      connector?.close();
    },
  };
}
