import { http } from '@google-cloud/functions-framework';
import { Storage } from '@google-cloud/storage';
import { createApiClients } from '../../shared/clients/api-clients.js';
import { writeBodyPolicy } from '../../shared/api/write-handlers.js';
import { authPolicyOf } from '../../shared/http/auth.js';
import { toHttpFunction } from '../../shared/http/express-adapter.js';
import { handleIngest } from '../../shared/ingest/handler.js';
import { app } from '../context.js';

// POST {dump?, laps?, openf1Sessions?, racesPerTransaction?, jolpica?, openf1?} → per-run ingestion summary.
const storage = new Storage(app.config.gcsApiEndpoint ? { apiEndpoint: app.config.gcsApiEndpoint } : {});
const apis = createApiClients(app.config, app.logger.child({ function: 'ingest' }));

const auth = authPolicyOf(app.config);
const logger = app.logger.child({ function: 'ingest' });
http(
  'ingest',
  toHttpFunction(
    (req) => handleIngest({ repo: app.repo, logger, auth, ingest: app.config.ingest, storage, ...apis }, { method: req.method, headers: req.headers, body: req.body }),
    writeBodyPolicy(auth),
    logger,
  ),
);
