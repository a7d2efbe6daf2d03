import { http } from '@google-cloud/functions-framework';
import { Storage } from '@google-cloud/storage';
import { handleIngest } from '../../shared/ingest/handler.js';
import { app } from '../context.js';

// POST {dump?, laps?, openf1Sessions?, racesPerTransaction?} → per-run ingestion summary.
const storage = new Storage(app.config.gcsApiEndpoint ? { apiEndpoint: app.config.gcsApiEndpoint } : {});

http('ingest', async (req, res) => {
  const out = await handleIngest(
    { repo: app.repo, logger: app.logger.child({ function: 'ingest' }), auth: { env: app.config.env, ...(app.config.apiKey ? { apiKey: app.config.apiKey } : {}) }, storage },
    { method: req.method, headers: req.headers, body: req.body },
  );
  res.status(out.status).set(out.headers).json(out.body);
});
