import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsApi } from '../../shared/api/analytics-routes.js';
import { ingestFiles } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { routesCaller } from '../helpers/call.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { dataDir, requireData } from '../helpers/settings.js';

const data = requireData();
const postgres = backends.find((b) => b.name === 'postgres')!;

describe.skipIf(postgres.skip || data.skip)('GET /analytics on real PostgreSQL with the real 2014, 2023 and 2024 data', () => {
  let db: Awaited<ReturnType<typeof postgres.open>>;
  let repo: Repository;
  let call: ReturnType<typeof routesCaller>;
  const ids = new Map<string, number>();
  const get = async (p: string, query: Record<string, string> = {}) => {
    const res = await call({ path: p, query });
    return { status: res.status, headers: res.headers, body: res.body as any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- response shapes are checked field by field below
  };
  beforeAll(async () => {
    db = await postgres.open();
    repo = createRepository(db.knex);
    // 2014 has no lap data stored: its lap figures are null with a reason.
    await loadSeasons(repo, [2014, 2023, 2024]);
    // Every stored lap export (FastF1 to 2024 R18, Ergast lap times, OpenF1 stints for the compounds after it), as npm start loads them.
    const outcome = await ingestFiles({ repo, logger: silentLogger }, { laps: path.join(dataDir, 'laps') });
    expect(outcome.runs.every((r) => r.status === 'succeeded')).toBe(true);
    for (const d of await repo.reference.drivers()) ids.set(d.driverRef, d.id);
    for (const c of await repo.reference.constructors()) ids.set(`team:${c.constructorRef}`, c.id);
    call = routesCaller(createAnalyticsApi({ repo }));
  }, 300_000);
  afterAll(async () => db?.close());

  const driver = (ref: string, query: Record<string, string>) => get(`/analytics/drivers/${ids.get(ref)}`, query);
  const team = (ref: string, query: Record<string, string>) => get(`/analytics/teams/${ids.get(`team:${ref}`)}`, query);
  /** Championship points scored in a season, from the race and sprint results (not the standings the API reads). */
  const pointsScored = async (season: number, who: (r: { driverId: number; constructorId: number }) => boolean) => {
    let total = 0;
    for (const race of await repo.races.listSeason(season)) {
      for (const r of [...(await repo.reference.results(race.id)), ...(await repo.reference.sprintResults(race.id))]) if (who(r)) total += r.points;
    }
    return total;
  };

  it("draws a driver's points over the season from the standings, ending on the points the results scored", async () => {
    const ver = ids.get('max_verstappen')!;
    const { status, headers, body } = await driver('max_verstappen', { season: '2024' });
    expect(status).toBe(200);
    expect(headers['Cache-Control']).toMatch(/max-age=\d+/);
    const rounds = body.pointsOverSeason.rounds;
    expect(rounds).toHaveLength((await repo.races.listSeason(2024)).length);
    expect(body.pointsOverSeason.races).toBe(rounds.length);
    for (let i = 1; i < rounds.length; i++) expect(rounds[i].points).toBeGreaterThanOrEqual(rounds[i - 1].points);
    expect(body.pointsOverSeason.finalPoints).toBe(await pointsScored(2024, (r) => r.driverId === ver));
    expect(body.pointsOverSeason.finalPosition).toBe(1);
  });

  it("sums a team's two cars: Red Bull's 2023 points are both drivers' results and sprints", async () => {
    const rb = ids.get('team:red_bull')!;
    const { body } = await team('red_bull', { season: '2023' });
    expect(body.pointsOverSeason.finalPoints).toBe(await pointsScored(2023, (r) => r.constructorId === rb));
    expect(body.drivers.map((d: { name: string }) => d.name).sort()).toEqual(['Max Verstappen', 'Sergio Pérez']);
    expect(body.drivers.every((d: { races: number }) => d.races === 22)).toBe(true);
    // Red Bull closed in on nobody in 2023: its best car was on or near pole all season.
    expect(body.developmentTrend.races).toBe(22);
    expect(body.developmentTrend.medianGapToPolePct).toBeLessThan(0.3);
    expect(body.developmentTrend.slopePctPerRound).not.toBeNull();
  });

  it("counts each driver's race and sprint points for the team: Red Bull's 2024 drivers add up to its total", async () => {
    const rb = ids.get('team:red_bull')!;
    const { body } = await team('red_bull', { season: '2024' });
    for (const d of body.drivers as { driverId: number; points: number }[]) {
      expect(d.points).toBe(await pointsScored(2024, (r) => r.driverId === d.driverId && r.constructorId === rb));
    }
    const ver = body.drivers.find((d: { driverId: number }) => d.driverId === ids.get('max_verstappen'));
    expect(ver.points).toBe((await driver('max_verstappen', { season: '2024' })).body.pointsOverSeason.finalPoints); // his only team
    expect(body.drivers.reduce((s: number, d: { points: number }) => s + d.points, 0)).toBe(body.pointsOverSeason.finalPoints);
  });

  it('lists as teammates only the drivers a stand-in raced beside: Bearman 2024 beside Leclerc and Hülkenberg', async () => {
    const { body } = await driver('bearman', { season: '2024' });
    expect(body.teams.map((t: { name: string }) => t.name).sort()).toEqual(['Ferrari', 'Haas F1 Team']);
    expect(body.teammates.map((t: { code: string }) => t.code).sort()).toEqual(['HUL', 'LEC']);
    const mates = new Set(body.teammates.map((t: { driverId: number }) => t.driverId));
    expect(body.teammateQualifyingGap.races).toBeGreaterThan(0);
    for (const r of body.teammateQualifyingGap.perRace) expect(mates.has(r.teammateId), r.race).toBe(true);
  });

  it('finds the wet races from the compounds: 2024 São Paulo and 2023 Monaco are wet, Bahrain is dry', async () => {
    const y24 = (await driver('max_verstappen', { season: '2024' })).body;
    const y23 = (await driver('max_verstappen', { season: '2023' })).body;
    const at = (body: { wetRaces: { perRace: { race: string; wet: boolean | null }[] } }, name: string) => body.wetRaces.perRace.find((r) => r.race.includes(name))!;
    expect(at(y24, 'São Paulo').wet).toBe(true);
    expect(at(y23, 'Monaco').wet).toBe(true);
    expect(at(y24, 'Bahrain').wet).toBe(false);
    expect(at(y23, 'Bahrain').wet).toBe(false);
    // Every race the driver started is wet or dry; the wet results are those races'.
    expect(y24.wetRaces.wet.races + y24.wetRaces.dry.races).toBe(24);
    expect(y24.wetRaces.wet.races).toBe(y24.wetRaces.perRace.filter((r: { wet: boolean }) => r.wet).length);
    // Verstappen won São Paulo 2024 from 17th on the grid.
    const sp = y24.positionsGained.perRace.find((r: { race: string }) => r.race.includes('São Paulo'));
    expect(sp).toMatchObject({ grid: 17, finish: 1, gained: 16 });
  });

  it('measures race pace and qualifying against the field and the teammate, on every race with laps', async () => {
    const ver = (await driver('max_verstappen', { season: '2023' })).body;
    expect(ver.racePace.races).toBe(22);
    expect(ver.racePace.perRace).toHaveLength(22);
    expect(ver.racePace.medianDeltaSeconds).toBeLessThan(-0.5); // the dominant car of 2023
    expect(ver.consistency.pace.races).toBe(22);
    expect(ver.teammateQualifyingGap.medianPct).toBeLessThan(0);
    expect(ver.teammateQualifyingGap.races + ver.teammateQualifyingGap.excluded).toBeLessThanOrEqual(22);
    expect(ver.teammateQualifyingGap.outqualified).toBeGreaterThan(ver.teammateQualifyingGap.races / 2);
    expect(ver.teammates.map((t: { code: string }) => t.code)).toEqual(['PER']);
    const sar = (await driver('sargeant', { season: '2023' })).body;
    expect(sar.racePace.medianDeltaSeconds).toBeGreaterThan(0);
    // Positions gained rest on the classified finishes from a grid slot, counted from the results.
    const classified = (await repo.reference.seasonResults(2023)).filter((r) => r.driverId === ids.get('max_verstappen') && r.position !== null && r.grid > 0);
    expect(ver.positionsGained.races).toBe(classified.length);
    expect(ver.positionsGained.total).toBe(classified.reduce((s, r) => s + r.grid - r.positionOrder, 0));
    // Tyre slopes per compound, each over its stints; pit stops timed against the field.
    expect(ver.tyreDegradation.byCompound.map((c: { compound: string }) => c.compound)).toEqual(expect.arrayContaining(['MEDIUM', 'HARD']));
    expect(ver.tyreDegradation.byCompound.reduce((s: number, c: { stints: number }) => s + c.stints, 0)).toBe(ver.tyreDegradation.stints);
    expect(ver.pitStops.medianSeconds).toBeGreaterThan(15);
    expect(ver.pitStops.medianSeconds).toBeLessThan(35);
    expect(ver.pitStops.perRace.reduce((s: number, r: { stops: number }) => s + r.stops, 0)).toBe(ver.pitStops.stops);
  });

  it('counts mechanical DNFs: Verstappen’s 2024 Australian brake failure is Red Bull’s', async () => {
    const { body } = await team('red_bull', { season: '2024' });
    expect(body.mechanicalDnfs.list).toContainEqual(expect.objectContaining({ race: 'Australian Grand Prix', driverId: ids.get('max_verstappen'), status: 'Brakes' }));
    expect(body.mechanicalDnfs.count).toBe(body.mechanicalDnfs.list.length);
    expect(body.mechanicalDnfs.races).toBe(24);
  });

  it('shows the results at a circuit over every stored season: the one asked for, else the last race’s', async () => {
    const monaco = (await driver('max_verstappen', { season: '2024', circuit: 'monaco' })).body.circuit;
    expect(monaco).toMatchObject({ circuit: { ref: 'monaco' }, chosenBy: 'query', races: 2 });
    expect(monaco.results.map((r: { season: number; position: number }) => [r.season, r.position])).toEqual([[2023, 1], [2024, 6]]);
    const byId = (await driver('max_verstappen', { season: '2024', circuit: String(monaco.circuit.id) })).body.circuit;
    expect(byId.results).toEqual(monaco.results);
    const fallback = (await driver('max_verstappen', { season: '2024' })).body.circuit;
    expect(fallback).toMatchObject({ circuit: { ref: 'yas_marina' }, chosenBy: 'last race' });
  });

  it('says which figures have no data and why: 2014 has results and pit stops but no laps', async () => {
    const ham = ids.get('hamilton')!;
    const { status, body } = await driver('hamilton', { season: '2014' });
    expect(status).toBe(200);
    for (const figure of [body.racePace, body.tyreDegradation, body.consistency.pace]) {
      expect(figure.races).toBe(0);
      expect(figure.reason).toBe('no lap data stored for 2014');
    }
    expect(body.racePace.medianDeltaSeconds).toBeNull();
    expect(body.wetRaces).toMatchObject({ races: 0, unknownRaces: 19 });
    expect(body.pitStops.medianSeconds).not.toBeNull();
    expect(body.pointsOverSeason.finalPoints).toBe(await pointsScored(2014, (r) => r.driverId === ham));
  });

  it('refuses a bad id or query with 400 saying what to send', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['/analytics/drivers/abc', { season: '2024' }, /id must be a whole number/],
      [`/analytics/drivers/${ids.get('max_verstappen')}`, {}, /season is required, e\.g\. \?season=2024/],
      [`/analytics/teams/${ids.get('team:red_bull')}`, { season: '24' }, /season must be a whole number from 1950/],
      [`/analytics/drivers/${ids.get('max_verstappen')}`, { season: '2024', circuit: '../etc' }, /circuit must be a circuit id or ref/],
    ];
    for (const [p, query, message] of cases) {
      const res = await get(p, query);
      expect(res.status, p).toBe(400);
      expect(JSON.stringify(res.body.error)).toMatch(message);
    }
  });

  it('answers 404 for an unknown driver, team, season or circuit, or a driver outside the season', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      ['/analytics/drivers/999999', { season: '2024' }, /driver 999999 not found: driver ids are listed by GET \/drivers\?season=2024/],
      ['/analytics/teams/999999', { season: '2024' }, /team 999999 not found/],
      [`/analytics/drivers/${ids.get('max_verstappen')}`, { season: '2019' }, /season 2019 not found/],
      [`/analytics/drivers/${ids.get('de_vries')}`, { season: '2024' }, /in season 2024 not found/],
      [`/analytics/drivers/${ids.get('max_verstappen')}`, { season: '2024', circuit: 'nowhere' }, /circuit nowhere not found/],
    ];
    for (const [p, query, message] of cases) {
      const res = await get(p, query);
      expect(res.status, `${p} ${JSON.stringify(query)}`).toBe(404);
      expect(res.body.error.message).toMatch(message);
    }
  });
});
