import { openDatabase } from '../../db/connect.js';
import { migrateLatest } from '../../db/migrate.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  summary: 'apply pending database migrations, as the owner, and grant the application role its privileges',
  usage: 'pitwall migrate',
  async run({ config, logger, stdout }) {
    // The owner's connection when one is configured: the application role may not run DDL.
    const db = await openDatabase(config.migrationDatabase ?? config.database);
    try {
      const { applied, appRole } = await migrateLatest(db.knex, config.appRole ? { appRole: config.appRole } : {});
      logger.info('migrations applied', { applied, database: db.kind, ...(appRole ? { appRole } : {}) });
      stdout.write(`${JSON.stringify({ database: db.kind, applied, ...(appRole ? { appRole } : {}) })}\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
