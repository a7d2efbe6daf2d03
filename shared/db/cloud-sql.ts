import { AuthTypes, Connector, IpAddressTypes } from '@google-cloud/cloud-sql-connector';
import knexFactory, { type Knex } from 'knex';
import type { DatabaseConfig } from '../config/config.js';
import { pgTypeParser } from './postgres.js';

/** Cloud SQL through the Cloud SQL Node.js connector (IAM-authorised TLS, no proxy). */
export async function openCloudSql(options: Extract<DatabaseConfig, { kind: 'cloud-sql' }>): Promise<{ knex: Knex; close: () => Promise<void> }> {
  const connector = new Connector();
  const clientOpts = await connector.getOptions({
    instanceConnectionName: options.instance,
    ipType: IpAddressTypes.PUBLIC,
    ...(options.iamAuth ? { authType: AuthTypes.IAM } : {}),
  });
  const knex = knexFactory({
    client: 'pg',
    connection: {
      ...clientOpts,
      user: options.user,
      ...(options.password ? { password: options.password } : {}),
      database: options.database,
      types: { getTypeParser: pgTypeParser },
    } as Knex.PgConnectionConfig,
    pool: { min: 0, max: options.poolMax },
  });
  return {
    knex,
    close: async () => {
      await knex.destroy();
      connector.close();
    },
  };
}
