import { http } from '@google-cloud/functions-framework';
import { createArtifactStore } from '../../shared/artifacts/create-store.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { createPitModelRegistry } from '../../shared/pits/registry.js';
import { handlePits } from '../../shared/pits/serve.js';
import { createPitModelSource } from '../../shared/pits/train.js';
import { app } from '../context.js';

// GET /pits/{raceId}?lap=N (a stored race) or POST /pits {lap, totalLaps, teams, laps} (a live
// race) → each driver's P(pit within 1, 3, 5 laps) and the model version. Thin adapter over
// shared/pits/serve.ts; the model is the latest 'pit' version, loaded once per instance.
await setupTensorflow();
const artifacts = await createArtifactStore(app.config.artifactStoreUri, {
  ...(app.config.gcsApiEndpoint ? { gcsApiEndpoint: app.config.gcsApiEndpoint } : {}),
  ...(app.config.gcp.project ? { projectId: app.config.gcp.project } : {}),
});
const models = createPitModelSource(createPitModelRegistry({ artifacts, versions: app.repo.modelVersions }));
const logger = app.logger.child({ function: 'pits' });

http('pits', async (req, res) => {
  const out = await handlePits({ repo: app.repo, logger, models }, { method: req.method, path: req.path, query: req.query as Record<string, unknown>, body: req.body });
  res.status(out.status).set(out.headers).json(out.body);
});
