import { createStorageClient } from '../../clients/gcs.js';
import { openDatabase } from '../../db/connect.js';
import { migrateLatest } from '../../db/migrate.js';
import { ValidationError } from '../../errors.js';
import { systemClock } from '../../clock.js';
import { createApiClients } from '../../clients/api-clients.js';
import { ingestApis, parseApiFlags } from '../../ingest/api/cli-flags.js';
import { ingestFiles, ingestRequest } from '../../ingest/ingest.js';
import { createProgress } from '../../log/progress.js';
import { createRepository } from '../../repository/index.js';
import { flagCommand } from '../command.js';

export const ingestCommand = flagCommand({
  summary: 'load an Ergast dump and/or lap files into the database (runs migrations first)',
  usage:
    'pitwall ingest [--dump <folder|.zip|gs://...>] [--to-season YEAR] [--laps <file|folder>] [--openf1-sessions <sessions.json>] [--race-per-transaction] [--jolpica SEASON[/ROUND]] [--jolpica-parts schedule,drivers,results,qualifying,sprint,pitstops,laps,standings] [--openf1 YEAR|SESSION_KEY,...]',
  flags: {
    dump: { type: 'string' },
    laps: { type: 'string' },
    'openf1-sessions': { type: 'string' },
    'race-per-transaction': { type: 'boolean' },
    'to-season': { type: 'string' },
    jolpica: { type: 'string' },
    'jolpica-parts': { type: 'string' },
    openf1: { type: 'string' },
  },
  async run({ config, logger, stdout }, values) {
    const api = parseApiFlags(values, this.usage);
    const files = Boolean(values.dump || values.laps) || !api;
    const parsed = ingestRequest.safeParse({
      ...(values.dump ? { dump: values.dump } : {}),
      ...(values.laps ? { laps: values.laps } : {}),
      ...(values['openf1-sessions'] ? { openf1Sessions: values['openf1-sessions'] } : {}),
      ...(values['race-per-transaction'] ? { racesPerTransaction: 1 } : {}),
      // A non-number is left to the schema to refuse with its message.
      ...(values['to-season'] ? { toSeason: /^\d+$/.test(values['to-season']) ? Number(values['to-season']) : values['to-season'] } : {}),
    });
    if (files && !parsed.success) throw new ValidationError(`${parsed.error.issues.map((i) => i.message).join('; ')}\nusage: ${this.usage}`);
    const db = await openDatabase(config.database);
    try {
      await migrateLatest(db.knex);
      const storage = parsed.data?.dump?.startsWith('gs://')
        ? await createStorageClient({ gcsApiEndpoint: config.gcsApiEndpoint, projectId: config.gcp.project })
        : undefined;
      const deps = {
        repo: createRepository(db.knex),
        logger,
        zipLimits: config.ingest.zip,
        // Before the first race commits, a load writes the reference tables and a first transaction of rows.
        progress: (task: string, total: number) => createProgress(logger, task, total, { waiting: 'writing the reference tables and the first races' }),
        ...(storage ? { storage } : {}),
      };
      const outcome = files && parsed.success ? await ingestFiles(deps, parsed.data) : { runs: [] };
      if (api) outcome.runs.push(...(await ingestApis({ ...deps, ...createApiClients(config, logger), now: () => systemClock.now() }, api)));
      stdout.write(`${JSON.stringify({ database: db.kind, ...outcome }, null, 2)}\n`);
      return outcome.runs.every((r) => r.status === 'succeeded') ? 0 : 1;
    } finally {
      await db.close();
    }
  },
});
