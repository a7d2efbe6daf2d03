import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../shared/clients/http-client.js';
import { createOpenMeteoClient, openMeteoLimits } from '../../../shared/clients/open-meteo.js';
import { SimulatedClock } from '../../../shared/clock.js';
import { DEFAULT_ZIP_LIMITS } from '../../../shared/config/config.js';
import type { Database } from '../../../shared/db/connect.js';
import { ingestFunction } from '../../../shared/ingest/handler.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { createRepository, type Repository } from '../../../shared/repository/index.js';
import { routesCaller } from '../../helpers/call.js';
import { backends } from '../../helpers/databases.js';
import { loadSeasons } from '../../helpers/dump-seasons.js';
import { startOpenMeteoServer, type OpenMeteoServer } from '../../helpers/open-meteo-server.js';
import { dataDir, requireData } from '../../helpers/settings.js';

const data = requireData();
const backend = backends[0]!; // PGlite: the handler's weather branch; the stores are contract-tested on every backend

describe.skipIf(data.skip)('ingest function body with {weather: {season, round}} (the every-6-hours refresh)', () => {
  let server: OpenMeteoServer;
  let db: Database;
  let repo: Repository;
  beforeAll(async () => {
    server = await startOpenMeteoServer();
    db = await backend.open();
    repo = createRepository(db.knex);
    await loadSeasons(repo, [2024], { withResults: false });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await db?.close();
  });
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not reached in this test')) });
  const post = (at: string, body: unknown, withOpenMeteo = true) => {
    const clock = new SimulatedClock(new Date(at));
    const openMeteo = createOpenMeteoClient({ http: createHttpClient({ limits: openMeteoLimits, clock }), baseUrl: server.baseUrl });
    return routesCaller(
      ingestFunction({
        repo, logger: silentLogger, clock, ingest: { roots: [dataDir], buckets: [], zip: DEFAULT_ZIP_LIMITS },
        storage: unused as never, openf1: unused as never, jolpica: unused as never, ...(withOpenMeteo ? { openMeteo } : {}),
      }),
    )({ method: 'POST', body });
  };

  it('fetches and stores the race-day forecast of 2024 R6 and answers its summary', async () => {
    const res = await post('2024-05-02T12:00:00Z', { weather: { season: 2024, round: 6 } });
    expect(res.status).toBe(200);
    const miami = (await repo.races.listSeason(2024)).find((r) => r.round === 6)!;
    const stored = (await repo.weather.latestForecast(miami.id, new Date('2024-05-02T12:00:00Z')))!;
    expect(res.body).toEqual({ runs: [], weather: { status: 'stored', fetchedAt: '2024-05-02T12:00:00.000Z', summary: stored.summary } });
  });

  it('a race beyond the forecast range answers "not in the forecast range yet", not an error', async () => {
    const sent = server.requests.length;
    const res = await post('2024-04-01T00:00:00Z', { weather: { season: 2024, round: 6 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ runs: [], weather: { status: 'not_in_range', reason: expect.stringContaining('not in the forecast range yet'), availableFrom: '2024-04-20' } });
    expect(server.requests.length).toBe(sent);
  });

  it('refuses an unknown race (404), a bad body (400), and a function without an Open-Meteo client (400)', async () => {
    expect((await post('2024-05-02T12:00:00Z', { weather: { season: 2024, round: 40 } })).status).toBe(404);
    expect((await post('2024-05-02T12:00:00Z', { weather: { season: 2024 } })).status).toBe(400);
    expect((await post('2024-05-02T12:00:00Z', { weather: { season: 2024, round: 6 } }, false)).status).toBe(400);
  });
});
