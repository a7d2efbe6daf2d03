import { openDatabase } from '../../db/connect.js';
import { migrateConfigured } from '../../db/migrate.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  summary: 'apply pending database migrations, as the owner, and grant the application role its privileges',
  usage: 'pitwall migrate',
  async run({ config, logger, stdout }) {
    // The owner's connection when one is configured: the application role may not run DDL.
    const target = config.migrationDatabase ?? config.database;
    const db = await openDatabase(target);
    try {
      const { applied, appRole } = await migrateConfigured({ ...(config.appRole ? { appRole: config.appRole } : {}) }, db.knex);
      logger.info('migrations applied', { applied, database: db.kind, ...(appRole ? { appRole } : {}) });
      stdout.write(`${JSON.stringify({ database: db.kind, applied, ...(appRole ? { appRole } : {}) })}\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
