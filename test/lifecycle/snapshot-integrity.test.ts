import { afterAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../shared/app/dev-server.js';
import { SimulatedClock } from '../../shared/clock.js';
import { replaySeason } from '../../shared/lifecycle/replay.js';
import { createRepository } from '../../shared/repository/index.js';
import { appOver } from '../api/stack.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';

/**
 * Which snapshot counts is decided by the database (migrations/006): its rules are asserted on
 * every repository by test/repository/contract.ts and through predict in test/domain. Here, over
 * the real 2024 season and the deployed HTTP surface: retrospective freezes change no score.
 */
const data = requireData();
const policy = { kind: 'post_qualifying' } as const;

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`8 retrospective freezes before a replay on ${backend.name}`, () => {
    const rounds = 8;
    const stacks: { db: Awaited<ReturnType<typeof backend.open>>; server: DevServer; clock: SimulatedClock }[] = [];
    afterAll(async () => {
      for (const s of stacks) {
        await s.server.close();
        await s.db.close();
      }
    });
    const stackWith2024 = async () => {
      const db = await backend.open();
      await loadSeasons(createRepository(db.knex), [2024]);
      const clock = new SimulatedClock(new Date('2026-12-01T00:00:00Z'));
      const server = await startDevServer({ app: appOver(db), clock, port: 0 });
      stacks.push({ db, server, clock });
      return { db, server, clock, repo: createRepository(db.knex) };
    };
    const get = async (server: DevServer, path: string) => (await fetch(`${server.url}${path}`)).json();

    it('leave the season scores, listings and model summaries exactly as a clean replay makes them', async () => {
      const clean = await stackWith2024();
      const dirty = await stackWith2024();
      // Long after the season (a user on a fresh start, today): labelled retrospective.
      for (let round = 1; round <= rounds; round++) {
        const res = await fetch(`${dirty.server.url}/predict?year=2024&race=${round}&retrospective=true`, { method: 'POST' });
        expect(res.status).toBe(201);
        expect(await res.json()).toMatchObject({ kind: 'retrospective', official: false, clock: 'simulated' });
      }
      const reports = [];
      for (const s of [clean, dirty]) {
        const races = (await s.repo.races.listSeason(2024)).slice(0, rounds);
        reports.push(await replaySeason({ baseUrl: s.server.url, clock: s.clock, policy, races }, 2024));
      }
      const [a, b] = reports as [Awaited<ReturnType<typeof replaySeason>>, Awaited<ReturnType<typeof replaySeason>>];
      const scores = (r: typeof a) => r.races.map(({ predictionId: _p, raceId: _r, ...rest }) => rest);
      expect(scores(b)).toEqual(scores(a));
      expect(b.totals).toEqual(a.totals);
      expect((a.totals as { races: number }).races).toBe(rounds);
      const [seasonA, seasonB] = [await get(clean.server, '/metrics/season/2024'), await get(dirty.server, '/metrics/season/2024')];
      const strip = (s: { races: { raceId: number }[] }) => ({ ...s, races: s.races.map(({ raceId: _r, ...rest }) => rest) });
      expect(strip(seasonB)).toEqual(strip(seasonA));
      expect((await get(dirty.server, '/models')).models).toEqual((await get(clean.server, '/models')).models);
      // Every read names the same, official, snapshot: the listing, the forecast, its score, the table.
      const listed = (await get(dirty.server, '/races?season=2024')).races.slice(0, rounds);
      for (const [i, race] of listed.entries()) {
        const forecast = await get(dirty.server, `/predictions/${race.id}`);
        const metrics = await get(dirty.server, `/metrics/${race.id}`);
        expect(forecast).toMatchObject({ id: race.predictionId, kind: 'forecast', official: true });
        expect(metrics.predictionId).toBe(race.predictionId);
        expect(b.races[i]!.predictionId).toBe(race.predictionId);
        const snapshots = (await get(dirty.server, `/predictions/${race.id}/snapshots`)).snapshots;
        expect(snapshots.map((s: { kind: string; official: boolean }) => `${s.kind}:${s.official}`)).toEqual(['retrospective:false', 'forecast:true']);
      }
    }, 240_000);
  });
}

