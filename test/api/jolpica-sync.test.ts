import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepository } from '../../shared/repository/index.js';
import { findRace } from '../../shared/lifecycle/predict.js';
import { backends } from '../helpers/databases.js';
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { dataDir, requireData } from '../helpers/settings.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { atFreeze, startStack } from './stack.js';

const data = requireData();

for (const backend of backends) describe.skipIf(data.skip || backend.skip)(`sync-results from Jolpica (the recorded responses) on ${backend.name}`, () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let replay: ReplayServer;
  let stack: Awaited<ReturnType<typeof startStack>>;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-jolpica-'));

  beforeAll(async () => {
    replay = await startReplayServer(path.join(dataDir, 'api-replay'));
    db = await backend.open();
    await loadSeasons(createRepository(db.knex), [2023], { withResults: false });
    stack = await startStack(db, { env: { RESULTS_SOURCE: 'jolpica', JOLPICA_BASE_URL: replay.jolpicaBaseUrl, JOLPICA_PAGE_SIZE: '30', HTTP_CACHE_DIR: cacheDir } });
  }, 120_000);
  afterAll(async () => {
    await stack?.server.close();
    await replay?.close();
    await db?.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('stores the official classification of 2023 R9 and evaluates the frozen forecast', async () => {
    await atFreeze(stack, 2023, 'Austria');
    expect((await fetch(`${stack.url}/predict?year=2023&race=Austria`, { method: 'POST' })).status).toBe(201);
    const res = await fetch(`${stack.url}/results/sync/2023/9`, { method: 'POST' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ source: 'jolpica', classified: 20 });
    expect(body.evaluation.winnerCorrect).toBe(true); // Austria 2023: Verstappen, from pole
    const canada = await findRace(createRepository(db.knex), { year: 2023, race: '9' });
    const results = await (await fetch(`${stack.url}/results/${canada.id}`)).json();
    expect(results.results[0].driver).toBe('Max Verstappen');
  });

  it('answers 503 with Retry-After while a race has no published results, storing nothing', async () => {
    // What Jolpica answers before a race is classified: a page with an empty RaceTable.
    const empty = { MRData: { xmlns: '', series: 'f1', url: 'https://api.jolpi.ca/ergast/f1/2023/10/results.json', limit: '30', offset: '0', total: '0', RaceTable: { season: '2023', round: '10', Races: [] } } };
    replay.inject('/2023/10/results', [{ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(empty) }]);
    const res = await fetch(`${stack.url}/results/sync/2023/10`, { method: 'POST' });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const race = await findRace(createRepository(db.knex), { year: 2023, race: '10' });
    expect(await createRepository(db.knex).reference.results(race.id)).toHaveLength(0);
  });
});
