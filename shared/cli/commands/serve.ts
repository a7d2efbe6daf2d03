import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startDevServer } from '../../../functions/dev-server.js';
import { createAppContext, type AppContext } from '../../app/context.js';
import { migrateLatest } from '../../db/migrate.js';
import { ValidationError } from '../../errors.js';
import { ingestFiles } from '../../ingest/ingest.js';
import { systemClock } from '../../lifecycle/clock.js';
import { createProgress } from '../../log/progress.js';
import type { Command } from '../command.js';

/**
 * Makes a local database ready to serve: migrations, then the Ergast dump (F1_DUMP_DIR,
 * else F1_DATA_DIR/ergast) when no race is loaded yet. Predictions use the current
 * model version; without a trained one, the qualifying-order baseline serves.
 */
export async function prepareLocalStack(app: AppContext): Promise<{ migrated: string[]; ingested: boolean }> {
  const { applied } = await migrateLatest(app.db.knex);
  const [row] = await app.db.knex('races').count<{ n: string | number }[]>('* as n');
  if (Number(row?.n ?? 0) > 0) return { migrated: applied, ingested: false };
  const dump = app.config.dumpDir ?? path.join(app.config.dataDir, 'ergast');
  if (!dump.startsWith('gs://') && !fs.existsSync(dump)) {
    throw new ValidationError(`the database is empty and no Ergast dump was found at ${dump}: set F1_DUMP_DIR (or F1_DATA_DIR)`);
  }
  app.logger.info('empty database: ingesting the Ergast dump first', { dump });
  const outcome = await ingestFiles(
    { repo: app.repo, logger: app.logger, progress: (task, total) => createProgress(app.logger, task, total) },
    { dump },
  );
  if (outcome.runs.some((r) => r.status !== 'succeeded')) throw new Error(`ingesting ${dump} failed`);
  return { migrated: applied, ingested: true };
}

export const serveCommand: Command = {
  summary: 'serve every function on one port (migrates and ingests first when the database is empty)',
  usage: 'pitwall serve [--port <n>] [--host <address>]',
  async run({ config, logger }, argv) {
    const { values } = parseArgs({ args: argv, options: { port: { type: 'string' }, host: { type: 'string' } }, strict: true });
    const port = values.port === undefined ? config.port : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError(`--port must be 0..65535, got ${values.port}`);
    const app = await createAppContext(config, logger);
    try {
      const prepared = await prepareLocalStack(app);
      const server = await startDevServer({ app, clock: systemClock, port, host: values.host ?? '127.0.0.1' });
      logger.info(`pitwall listening on ${server.url}`, { url: server.url, database: app.db.kind, ...prepared });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      return 0;
    } finally {
      await app.close();
    }
  },
};
