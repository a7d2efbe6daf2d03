import fs from 'node:fs/promises';
import type { AppContext } from './context.js';
import { createStorageClient } from '../clients/gcs.js';
import type { CurrentForecaster } from '../domain/forecast.js';
import { labelOf } from '../api/read-api.js';

/** What GET /health checks: the database, the model a freeze would use, the artifact store. */
export function healthChecks(app: AppContext, forecaster: CurrentForecaster) {
  const gcs = app.config.artifactStoreUri.startsWith('gs://');
  return {
    database: async () => {
      await app.db.knex.raw('select 1');
      return { ok: true, detail: app.db.kind };
    },
    // The model a freeze would use now, with the data it has seen.
    model: async () => ({ ok: true, detail: (await labelOf(app.repo, (await forecaster()).version)).label }),
    artifactStore: async () => {
      const uri = app.config.artifactStoreUri;
      if (gcs) {
        const storage = await createStorageClient({ gcsApiEndpoint: app.config.gcsApiEndpoint, projectId: app.config.gcp.project });
        const [exists] = await storage.bucket(uri.slice(5).split('/')[0]!).exists();
        // Public: the kind of store, never its bucket or path.
        return { ok: exists, detail: 'gcs' };
      }
      await fs.mkdir(uri, { recursive: true });
      await fs.access(uri, fs.constants.W_OK);
      return { ok: true, detail: 'local folder' };
    },
  };
}
