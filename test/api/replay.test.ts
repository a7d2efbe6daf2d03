import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../shared/clock.js';
import { formatReplay, replaySeason } from '../../shared/lifecycle/replay.js';
import { createRepository } from '../../shared/repository/index.js';
import { startDevServer, type DevServer } from '../../shared/app/dev-server.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { appOver } from './stack.js';

const data = requireData();

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`season replay on ${backend.name}`, () => {
    let db: Awaited<ReturnType<typeof backend.open>>;
    let server: DevServer;
    const clock = new SimulatedClock(new Date('2024-01-01T00:00:00Z'));

    beforeAll(async () => {
      db = await backend.open();
      await loadSeasons(createRepository(db.knex), [2024]);
      server = await startDevServer({ app: appOver(db), clock, port: 0 });
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await db?.close();
    });

    it('freezes each race at the policy time, syncs after the race and reports the season beside the grid baseline', async () => {
      const repo = createRepository(db.knex);
      const races = (await repo.races.listSeason(2024)).slice(0, 4);
      const report = await replaySeason({ baseUrl: server.url, clock, policy: { kind: 'post_qualifying' }, races }, 2024);
      expect(report.races.map((r) => r.round)).toEqual([1, 2, 3, 4]);
      for (const r of report.races) {
        expect(r.note).toBeNull();
        const p = (await repo.predictions.byId(r.predictionId!))!;
        // Frozen at the policy instant: after qualifying, before the race.
        expect(p.snapshotAt.getTime()).toBeLessThan(new Date(`${(await repo.races.byId(r.raceId))!.sessions.race.date}T23:59:59Z`).getTime());
        expect(p.warnings).toEqual([]);
        expect(r.positionMae).toBeGreaterThanOrEqual(0);
        expect(r.actualWinner).toEqual(expect.any(String));
      }
      // Australia 2024: Sainz won from P2 on the grid, Verstappen (pole) retired.
      expect(report.races[2]).toMatchObject({ actualWinner: 'Carlos Sainz', winnerCorrect: false });
      const totals = report.totals as { races: number; model: { positionMae: number }; gridBaseline: { positionMae: number } };
      expect(totals.races).toBe(4);
      const mean = report.races.reduce((s, r) => s + r.positionMae!, 0) / 4;
      expect(totals.model.positionMae).toBeCloseTo(mean, 10);
      expect(formatReplay(report)).toMatch(/Season totals over 4 evaluated races/);
    });
  });
}
