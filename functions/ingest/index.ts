import { http } from '@google-cloud/functions-framework';
import { Storage } from '@google-cloud/storage';
import { createApiClients } from '../../shared/clients/api-clients.js';
import { handleIngest } from '../../shared/ingest/handler.js';
import { app } from '../context.js';

// POST {dump?, laps?, openf1Sessions?, racesPerTransaction?, jolpica?, openf1?} → per-run ingestion summary.
const storage = new Storage(app.config.gcsApiEndpoint ? { apiEndpoint: app.config.gcsApiEndpoint } : {});
const apis = createApiClients(app.config, app.logger.child({ function: 'ingest' }));

http('ingest', async (req, res) => {
  const out = await handleIngest(
    { repo: app.repo, logger: app.logger.child({ function: 'ingest' }), auth: { env: app.config.env, ...(app.config.apiKey ? { apiKey: app.config.apiKey } : {}) }, ingest: app.config.ingest, storage, ...apis },
    { method: req.method, headers: req.headers, body: req.body },
  );
  res.status(out.status).set(out.headers).json(out.body);
});
