import { openDatabase } from '../../db/connect.js';
import { migrateLatest } from '../../db/migrate.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  summary: 'apply pending database migrations',
  usage: 'pitwall migrate',
  async run({ config, logger, stdout }) {
    const db = await openDatabase(config.database);
    try {
      const { applied } = await migrateLatest(db.knex);
      logger.info('migrations applied', { applied, database: db.kind });
      stdout.write(`${JSON.stringify({ database: db.kind, applied })}\n`);
      return 0;
    } finally {
      await db.close();
    }
  },
};
