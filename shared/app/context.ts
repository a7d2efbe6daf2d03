import type { Config } from '../config/config.js';
import { openDatabase, type Database } from '../db/connect.js';
import type { Logger } from '../log/logger.js';
import { createRepository, type Repository } from '../repository/index.js';

/**
 * What a process needs to do its work, built once at an edge (a CLI command, a function
 * module, the dev server) and passed down. Nothing here reads the environment.
 */
export interface AppContext {
  config: Config;
  logger: Logger;
  db: Database;
  repo: Repository;
  close(): Promise<void>;
}

export async function createAppContext(config: Config, logger: Logger): Promise<AppContext> {
  const db = await openDatabase(config.database);
  return {
    config,
    logger,
    db,
    repo: createRepository(db.knex),
    close: () => db.close(),
  };
}
