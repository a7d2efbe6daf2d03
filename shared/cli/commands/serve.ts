import { startDevServer } from '../../app/dev-server.js';
import { createAppContext } from '../../app/context.js';
import { ValidationError } from '../../errors.js';
import { systemClock } from '../../clock.js';
import { formatReplay } from '../../lifecycle/replay.js';
import { flagCommand } from '../command.js';
import { firstStartSeason, prepareLocalStack, replayLocally } from '../local-stack.js';

export const serveCommand = flagCommand({
  summary: 'serve every function on one port (on a fresh database: ingest, train and replay the latest season first)',
  usage: 'pitwall serve [--port <n>] [--host <address>] [--no-train] [--no-replay]',
  flags: { port: { type: 'string' }, host: { type: 'string' }, 'no-train': { type: 'boolean' }, 'no-replay': { type: 'boolean' } },
  async run({ config, logger, stdout }, values) {
    const port = values.port === undefined ? config.port : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError(`--port must be 0..65535, got ${values.port}`);
    const app = await createAppContext(config, logger);
    try {
      // A first start forecasts the latest season as it happened (models trained before it,
      // updated after each race), so the dashboard opens on a whole scored season.
      const loaded = await prepareLocalStack(app);
      const replay = values['no-replay'] ? null : await firstStartSeason(app);
      const trained = await prepareLocalStack(app, { train: !values['no-train'], ...(replay === null ? {} : { trainedBefore: replay }) });
      const prepared = { ...trained, migrated: loaded.migrated, ingested: loaded.ingested };
      if (replay !== null) {
        logger.info(`first start: forecasting the ${replay} season race by race, as it happened (--no-replay skips this)`, { season: replay });
        const report = await replayLocally(app, replay);
        if ((stdout as NodeJS.WriteStream).isTTY) stdout.write(formatReplay(report));
        logger.info(`first start: ${replay} forecast and scored`, { season: replay, totals: report.totals });
      }
      const server = await startDevServer({ app, clock: systemClock, port, host: values.host ?? '127.0.0.1' });
      logger.info(`pitwall listening on ${server.url}`, { url: server.url, database: app.db.kind, ...prepared });
      const signal = await new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      logger.info(`shutting down (${signal})`, { signal });
      await server.close();
      logger.info('stopped', { url: server.url });
      return 0;
    } finally {
      await app.close();
    }
  },
});
