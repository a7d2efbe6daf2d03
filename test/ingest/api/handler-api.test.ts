import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../shared/clients/http-client.js';
import { createJolpicaClient } from '../../../shared/clients/jolpica.js';
import { jolpicaLimits } from '../../../shared/clients/pacer.js';
import type { Database } from '../../../shared/db/connect.js';
import { DEFAULT_ZIP_LIMITS } from '../../../shared/config/config.js';
import { ingestFunction } from '../../../shared/ingest/handler.js';
import { systemClock } from '../../../shared/clock.js';
import { routesCaller } from '../../helpers/call.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { createRepository } from '../../../shared/repository/index.js';
import { virtualClock } from '../../clients/virtual-clock.js';
import { backends } from '../../helpers/databases.js';
import { startReplayServer, type ReplayServer } from '../../helpers/replay-server.js';
import { dataDir, requireData } from '../../helpers/settings.js';

const data = requireData();
const backend = backends[0]!; // PGlite: the handler's API branch; the loader itself is covered on both backends

describe.skipIf(data.skip)('ingest function body with {jolpica: …}', () => {
  let server: ReplayServer;
  let db: Database;
  beforeAll(async () => {
    server = await startReplayServer(path.join(dataDir, 'api-replay'));
    db = await backend.open();
  });
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });
  // Only Jolpica is reached by these requests.
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not reached in this test')) });
  const post = (body: unknown) =>
    routesCaller(
      ingestFunction({
        repo: createRepository(db.knex),
        logger: silentLogger,
        clock: systemClock,
        ingest: { roots: [dataDir], buckets: [], zip: DEFAULT_ZIP_LIMITS },
        storage: unused as never,
        openf1: unused as never,
        jolpica: createJolpicaClient({ http: createHttpClient({ limits: jolpicaLimits, clock: virtualClock() }), baseUrl: server.jolpicaBaseUrl, pageSize: 30 }),
      }),
      { env: 'production', apiKey: 'k3y' },
    )({ method: 'POST', headers: { 'x-api-key': 'k3y', authorization: 'Bearer token', 'content-type': 'application/json' }, body });

  it('runs a Jolpica ingestion and answers its summary', async () => {
    const res = await post({ jolpica: { season: 2023, round: 9, parts: ['schedule', 'results'] } });
    expect(res.status).toBe(200);
    const runs = (res.body as { runs: { source: string; status: string; tables: { results: { inserted: number } } }[] }).runs;
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ source: 'jolpica', status: 'succeeded' });
    const recorded = JSON.parse(server.recordings.get('/ergast/f1/2023/9/results.json?limit=30&offset=0')!.body) as { MRData: { total: string } };
    expect(runs[0]!.tables.results.inserted).toBe(Number(recorded.MRData.total));
  });

  it('answers 400 for an invalid API request, without starting a run', async () => {
    const before = await createRepository(db.knex).ingestionRuns.latest(100);
    const res = await post({ jolpica: { season: 'last' } });
    expect(res.status).toBe(400);
    const res2 = await post({ jolpica: { season: 2023, parts: ['weather'] } });
    expect(res2.status).toBe(400);
    expect(await createRepository(db.knex).ingestionRuns.latest(100)).toHaveLength(before.length);
  });
});
