import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChampionshipApi } from '../../shared/api/championship-routes.js';
import { championshipUpdater } from '../../shared/championship/odds-after-race.js';
import { storedResultsSource, syncResults } from '../../shared/lifecycle/sync-results.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { routesCaller } from '../helpers/call.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';

const data = requireData();
const postgres = backends.find((b) => b.name === 'postgres')!;
const policy = { kind: 'post_qualifying' } as const;
const SAMPLES = 2000;

/**
 * The sync computing the title odds, on real PostgreSQL with the real 2023 and 2024 seasons
 * (the production learner cold-starts on what is stored: 2023 on), and the API serving them.
 */
describe.skipIf(postgres.skip || data.skip)('title odds after a synced race, on real data', () => {
  let db: Awaited<ReturnType<typeof postgres.open>>;
  let repo: Repository;
  let call: ReturnType<typeof routesCaller>;
  const get = async (p: string) => {
    const res = await call({ path: p });
    return { status: res.status, body: res.body as any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- response shapes are checked field by field below
  };
  const updater = (r: Repository) => championshipUpdater({ repo: r, hours: 24, samples: SAMPLES, logger: silentLogger });
  beforeAll(async () => {
    db = await postgres.open();
    repo = createRepository(db.knex);
    await loadSeasons(repo, [2023, 2024]);
    call = routesCaller(createChampionshipApi({ repo }));
  }, 300_000);
  afterAll(async () => db?.close());

  it('has nothing to serve before a sync: 404 saying what produces the odds', async () => {
    const res = await get('/championship/2024');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toMatch(/synced/);
    expect((await get('/championship/2024/abc')).status).toBe(400);
  });

  it('stores the odds after the synced round from the standings after it, and serves them', { timeout: 300_000 }, async () => {
    const out = await syncResults({ repo, source: storedResultsSource(repo), policy, updateChampionship: updater(repo) }, { year: 2024, race: '10' });
    expect(out.championship).toMatchObject({ status: 'stored', season: 2024, round: 10 });
    expect(out.championship!.model).toMatch(/2024r10$/);

    const set = (await repo.championship.get(2024, 10))!;
    const race = (await repo.races.listSeason(2024)).find((r) => r.round === 10)!;
    const standings = await repo.reference.driverStandings(race.id);
    const drivers = set.entries.filter((e) => e.entity === 'driver');
    for (const s of standings) expect(drivers.find((d) => d.entityId === s.entityId)?.currentPoints, `driver ${s.entityId}`).toBe(s.points);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(drivers.map((d) => d.pTitle))).toBeCloseTo(1, 9);
    expect(sum(drivers.map((d) => d.pTop3))).toBeCloseTo(3, 9);
    // The leader after round 10 of 24 (Verstappen, 56 points clear) is the favourite; nobody ends below their points now.
    const leader = standings.find((s) => s.position === 1)!;
    expect(drivers[0]!.entityId).toBe(leader.entityId);
    for (const d of drivers) expect(d.p10).toBeGreaterThanOrEqual(d.currentPoints);

    const res = await get('/championship/2024');
    expect(res.status).toBe(200);
    expect(res.body.round).toBe(10);
    expect(res.body.drivers[0].code).toBe('VER');
    expect(res.body.constructors.length).toBe(10);
    expect(res.body.history.drivers.filter((h: { round: number }) => h.round === 10).length).toBe(drivers.length);
    expect((await get('/championship/2024/10')).body.history).toBeNull();
    const missing = await get('/championship/2024/9');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/GET \/championship\/2024/);

    // A re-sync recomputes the same round in place: still one set.
    await syncResults({ repo, source: storedResultsSource(repo), policy, updateChampionship: updater(repo) }, { year: 2024, race: '10' });
    expect((await repo.championship.titleHistory(2024)).filter((h) => h.entity === 'driver')).toHaveLength(drivers.length);
  });

  it('a failure of the odds is reported and logged, and never fails the sync', { timeout: 120_000 }, async () => {
    const broken: Repository = { ...repo, championship: { ...repo.championship, replace: async () => { throw new Error('disk full'); } } };
    const out = await syncResults({ repo: broken, source: storedResultsSource(broken), policy, updateChampionship: updater(broken) }, { year: 2024, race: '11' });
    expect(out.result.outcome).toBe('stored');
    expect(out.championship).toMatchObject({ status: 'failed', reason: 'disk full' });
    expect(await repo.championship.get(2024, 11)).toBeUndefined();
  });
});
