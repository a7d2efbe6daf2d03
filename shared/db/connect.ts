import type { Knex } from 'knex';
import type { DatabaseConfig } from '../config/config.js';

export interface Database {
  knex: Knex;
  kind: DatabaseConfig['kind'];
  close(): Promise<void>;
}

/** Opens the database the configuration names; one strategy per file, chosen here. */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  switch (config.kind) {
    case 'pglite': {
      const { openPglite } = await import('./pglite.js');
      const { knex, close } = await openPglite(config.dir);
      return { knex, kind: 'pglite', close };
    }
    case 'postgres': {
      const { openPostgres } = await import('./postgres.js');
      const knex = openPostgres(config.url, config.poolMax);
      return { knex, kind: 'postgres', close: () => knex.destroy() };
    }
    case 'cloud-sql': {
      const { openCloudSql } = await import('./cloud-sql.js');
      const { knex, close } = await openCloudSql(config);
      return { knex, kind: 'cloud-sql', close };
    }
  }
}
