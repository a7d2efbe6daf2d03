import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { findRace } from '../../shared/lifecycle/predict.js';
import { backends } from '../helpers/databases.js';
import { dataDir, requireData } from '../helpers/settings.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { atFreeze, startStack } from './stack.js';

const data = requireData();

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`read API and write functions over HTTP on ${backend.name}`, () => {
    let db: Awaited<ReturnType<typeof backend.open>>;
    let repo: Repository;
    let stack: Awaited<ReturnType<typeof startStack>>;
    let monacoId: number;
    let bahrainId: number;
    const post = (path: string, headers: Record<string, string> = {}) => fetch(`${stack.url}${path}`, { method: 'POST', headers });
    const get = (path: string, headers: Record<string, string> = {}) => fetch(`${stack.url}${path}`, { headers });

    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      await loadSeasons(repo, [2024]);
      stack = await startStack(db);
      monacoId = (await findRace(repo, { year: 2024, race: 'Monaco' })).id;
      bahrainId = (await findRace(repo, { year: 2024, race: 'Bahrain' })).id;
      // Monaco's frozen forecast, which the read tests serve; the freeze itself is tested on Bahrain, a race of its own.
      await atFreeze(stack, 2024, 'Monaco');
      const frozen = await post('/predict?year=2024&race=Monaco');
      expect(frozen.status).toBe(201);
    }, 120_000);
    afterAll(async () => {
      await stack?.server.close();
      await db?.close();
    });
    // Every test starts at the same instant, after the 2024 season, whatever the one before it set.
    beforeEach(() => stack.clock.set(new Date('2025-01-01T00:00:00Z')));
    /** Monaco's results synced and its frozen forecast evaluated (idempotent: a re-sync keeps the one evaluation). */
    const monacoEvaluated = async () => expect((await post('/results/sync/2024/Monaco')).status).toBe(200);

    it('POST /predict refuses with 409 and the allowed time before the freeze policy allows it', async () => {
      const monaco = (await repo.races.byId(monacoId))!;
      const { allowedAt } = freezeWindow(monaco, stack.app.config.freezePolicy);
      stack.clock.set(new Date(allowedAt.getTime() - 1000));
      const res = await post('/predict?year=2024&race=monaco%20grand%20prix');
      expect(res.status).toBe(409);
      expect((await res.json()).error.details.allowedAt).toBe(allowedAt.toISOString());
    });

    it('freezes once: 201 then 200 with the same snapshot', async () => {
      await atFreeze(stack, 2024, 'Bahrain');
      const first = await post('/predict?year=2024&race=Bahrain');
      expect(first.status).toBe(201);
      const body = await first.json();
      expect(body.race).toMatchObject({ id: bahrainId, round: 1 });
      expect(body.entries).toHaveLength(20);
      expect(body.entries[0]).toMatchObject({ predictedPosition: 1, medianPosition: expect.any(Number), driver: expect.any(String), team: expect.any(String) });
      const again = await post('/predict?year=2024&race=1');
      expect(again.status).toBe(200);
      expect((await again.json()).id).toBe(body.id);
      // After the start the same call still answers with the official forecast.
      stack.clock.set(new Date('2025-01-01T00:00:00Z'));
      const late = await post('/predict?year=2024&race=Bahrain');
      expect(late.status).toBe(200);
      expect(await late.json()).toMatchObject({ id: body.id, official: true, kind: 'forecast' });
    });

    it('GET /predictions/{raceId} carries ETag and Cache-Control and honours If-None-Match', async () => {
      const res = await get(`/predictions/${monacoId}`);
      expect(res.status).toBe(200);
      const etag = res.headers.get('etag')!;
      expect(etag).toMatch(/^".+"$/);
      expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
      const cached = await get(`/predictions/${monacoId}`, { 'If-None-Match': etag });
      expect(cached.status).toBe(304);
      expect(await cached.text()).toBe('');
    });

    it('sync-results stores and evaluates; metrics are served per race and per season', async () => {
      const res = await post('/results/sync/2024/Monaco');
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({ raceId: monacoId, source: 'dump', classified: 20 });
      expect(body.evaluation.predictionId).toBeGreaterThan(0);
      const metrics = await (await get(`/metrics/${monacoId}`)).json();
      expect(metrics.positionMae).toBe(body.evaluation.positionMae);
      const season = await (await get('/metrics/season/2024')).json();
      expect(season.races).toHaveLength(1);
      expect(season.totals.model.positionMae).toBe(metrics.positionMae);
      expect(season.totals.gridBaseline.positionMae).toBe(metrics.baseline.positionMae);
      const evaluate = await post('/evaluate/2024/monaco');
      expect(evaluate.status).toBe(200);
      expect((await evaluate.json()).id).toBe(metrics.id);
    });

    it('serves results, races, drivers, teams, standings, models, health and the OpenAPI document', async () => {
      await monacoEvaluated();
      const results = await (await get(`/results/${monacoId}`)).json();
      expect(results.results[0]).toMatchObject({ positionOrder: 1, driver: 'Charles Leclerc' });
      const races = await (await get('/races?season=2024')).json();
      expect(races.races).toHaveLength(24);
      expect(races.races.find((r: { id: number }) => r.id === monacoId).freezeStatus).toBe('frozen');
      expect(races.races.find((r: { round: number }) => r.round === 9).freezeStatus).toBe('missed');
      const drivers = await (await get('/drivers?season=2024')).json();
      expect(drivers.drivers.length).toBeGreaterThanOrEqual(20);
      expect((await (await get('/teams?season=2024')).json()).teams).toHaveLength(10);
      const standings = await (await get('/standings?season=2024')).json();
      expect(standings.afterRound).toBe(24);
      expect(standings.drivers[0]).toMatchObject({ position: 1, name: 'Max Verstappen' });
      expect(standings.constructors[0]).toMatchObject({ position: 1, name: 'McLaren' });
      const models = await (await get('/models')).json();
      expect(models.models).toEqual([expect.objectContaining({ modelVersion: models.current, races: 1 })]);
      const health = await get('/health');
      expect(health.status).toBe(200);
      expect(Object.keys((await health.json()).checks).sort()).toEqual(['artifactStore', 'database', 'model']);
      const doc = await (await get('/openapi.json')).json();
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/predictions/{raceId}', '/races', '/predict', '/results/sync/{year}/{race}']));
      expect(doc.paths['/races'].get.parameters[0]).toMatchObject({ name: 'season', in: 'query' });
    });

    it('/races/upcoming lists the next three races from the injected clock', async () => {
      stack.clock.set(new Date('2024-05-20T00:00:00Z'));
      const upcoming = await (await get('/races/upcoming')).json();
      expect(upcoming.races.map((r: { round: number }) => r.round)).toEqual([8, 9, 10]);
      expect(upcoming.races[0].freezeStatus).toBe('frozen');
      expect(upcoming.races[1].freezeStatus).toBe('waiting');
    });

    it('answers 400 with zod issues for invalid parameters and 404 for unknown ids', async () => {
      const bad = await get('/races?season=abc');
      expect(bad.status).toBe(400);
      expect((await bad.json()).error.details.issues[0].path).toBe('season');
      expect((await get('/predictions/abc')).status).toBe(400);
      expect((await get('/predictions/99999999999')).status).toBe(400);
      expect((await get('/predictions/999999')).status).toBe(404);
      expect((await get('/metrics/season/1900')).status).toBe(400);
      expect((await get('/nowhere')).status).toBe(404);
      expect((await post('/predict?year=2024&race=Atlantis')).status).toBe(404);
      expect((await post('/predict?year=2024')).status).toBe(400);
      expect((await get('/predict?year=2024&race=1')).status).toBe(405);
    });

    it('50 concurrent POST /predict for one race make exactly one snapshot, and every caller gets its id', async () => {
      await atFreeze(stack, 2024, 'British');
      const responses = await Promise.all(Array.from({ length: 50 }, () => post('/predict?year=2024&race=British%20GP')));
      const bodies = await Promise.all(responses.map((r) => r.json()));
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 200)).toHaveLength(49);
      expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
      const british = await findRace(repo, { year: 2024, race: 'british' });
      expect(await repo.predictions.count(british.id)).toBe(1);
      expect(bodies[0].race.id).toBe(british.id);
    });
  });
}

describe.skipIf(data.skip)('schedule and latest-sync through the dev server', () => {
  it('schedules the coming race weekends idempotently and syncs the latest finished race', async () => {
    const backend = backends[0]!;
    const db = await backend.open();
    const { InMemoryScheduler } = await import('../../shared/scheduler/memory.js');
    const { startDevServer } = await import('../../shared/app/dev-server.js');
    const { SimulatedClock } = await import('../../shared/clock.js');
    const { appOver } = await import('./stack.js');
    const scheduler = new InMemoryScheduler();
    const clock = new SimulatedClock(new Date('2024-05-20T00:00:00Z'));
    // The calendar refresh reads Jolpica: here the emulator, which serves the real 2024 calendar.
    const { startUpstreamEmulator } = await import('../../shared/emulator/upstream-emulator.js');
    const emulator = await startUpstreamEmulator({ dataDir, clock, faults: { seed: 1, throttleRate: 0, errorRate: 0 } });
    const server = await startDevServer({ app: appOver(db, { FUNCTIONS_BASE_URL: 'https://fn.example', JOLPICA_BASE_URL: emulator.jolpicaBaseUrl }), clock, port: 0, scheduler: async () => scheduler });
    try {
      await loadSeasons(createRepository(db.knex), [2024]);
      const first = await (await fetch(`${server.url}/schedule`, { method: 'POST' })).json();
      expect(first.calendar).toEqual([{ season: 2024, runId: expect.any(Number), status: 'succeeded' }]);
      const jobsOf = (round: number, kinds: string[]) => kinds.map((k) => `pitwall-race-2024-r0${round}-${k}`);
      // Monaco (26 May), Canada (9 Jun) are within 21 days; Spain (23 Jun) is not. Only Monaco's freeze is within Open-Meteo's 16 days.
      expect([...first.created].sort()).toEqual(
        [...jobsOf(8, ['qualifying', 'prefreeze', 'freeze', 'weather', 'sync', 'postrace', 'openf1']), ...jobsOf(9, ['qualifying', 'prefreeze', 'freeze', 'sync', 'postrace', 'openf1'])].sort(),
      );
      const again = await (await fetch(`${server.url}/schedule`, { method: 'POST' })).json();
      expect(again.created).toEqual([]);
      expect(again.unchanged).toHaveLength(first.created.length);
      clock.set(new Date('2024-05-29T00:00:00Z'));
      const later = await (await fetch(`${server.url}/schedule`, { method: 'POST' })).json();
      expect([...later.deleted].sort()).toEqual(jobsOf(8, ['qualifying', 'prefreeze', 'freeze', 'weather', 'sync', 'postrace', 'openf1']).sort());
      expect(scheduler.jobs.get('pitwall-race-2024-r09-sync')!.uri).toBe('https://fn.example/sync-results/2024/9');
      const latest = await fetch(`${server.url}/results/sync/latest`, { method: 'POST' });
      expect(latest.status).toBe(200);
      expect((await latest.json()).raceId).toBe((await findRace(createRepository(db.knex), { year: 2024, race: 'Monaco' })).id);
    } finally {
      await server.close();
      await emulator.close();
      await db.close();
    }
  }, 120_000);
});
