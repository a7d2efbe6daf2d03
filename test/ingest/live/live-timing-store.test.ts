import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../shared/db/connect.js';
import { createRepository, type Repository } from '../../../shared/repository/index.js';
import { createMemoryRepository } from '../../../shared/repository/memory/index.js';
import type { LiveTimingRow } from '../../../shared/repository/live-timing-store.js';
import { backends } from '../../helpers/databases.js';
import { buildSeason, type BuiltSeason } from '../../helpers/builders.js';

const kinds = [{ name: 'memory', skip: false, open: async () => ({ repo: createMemoryRepository(), close: async () => undefined }) }, ...backends.map((b) => ({
  name: b.name,
  skip: b.skip,
  open: async () => {
    const db: Database = await b.open();
    return { repo: createRepository(db.knex), close: () => db.close() };
  },
}))];

for (const kind of kinds) {
  describe.skipIf(kind.skip)(`live timing store on ${kind.name}`, () => {
    let repo: Repository;
    let close: () => Promise<void>;
    let s: BuiltSeason;
    beforeAll(async () => {
      ({ repo, close } = await kind.open());
      s = await buildSeason(repo, { races: 1, drivers: 3 });
    });
    afterAll(async () => close?.());

    const row = (over: Partial<LiveTimingRow>): LiveTimingRow => ({
      raceId: s.races[0]!.id, driverId: s.drivers[0]!, at: '2024-03-03T13:05:00.000Z', position: null, gapToLeaderMs: null, lapsDown: null, intervalMs: null, intervalLaps: null, ...over,
    });

    it('merges a position and the gaps of the same instant into one row, and a second upsert changes nothing', async () => {
      const [a, b, c] = s.drivers as [number, number, number];
      const rows = [
        row({ driverId: a, position: 1 }),
        row({ driverId: b, position: 2, at: '2024-03-03T13:05:00+00:00' }),
        row({ driverId: c, position: 3 }),
        row({ driverId: b, at: '2024-03-03T13:05:00.000Z', gapToLeaderMs: 1_234, intervalMs: 1_234 }),
        row({ driverId: c, at: '2024-03-03T13:05:00.000Z', lapsDown: 1, intervalLaps: 1 }),
      ];
      expect(await repo.liveTiming.upsert(rows.slice(0, 3))).toEqual({ inserted: 3, updated: 0, unchanged: 0 });
      expect(await repo.liveTiming.upsert(rows.slice(3))).toEqual({ inserted: 0, updated: 2, unchanged: 0 });
      // The same samples again, the two of each instant counted as one row.
      expect(await repo.liveTiming.upsert(rows)).toEqual({ inserted: 0, updated: 0, unchanged: 3 });
      expect(await repo.liveTiming.latest(s.races[0]!.id)).toEqual([
        { driverId: a, position: 1, positionAt: '2024-03-03T13:05:00.000Z', gapToLeaderMs: null, lapsDown: null, intervalMs: null, intervalLaps: null, gapAt: null },
        { driverId: b, position: 2, positionAt: '2024-03-03T13:05:00.000Z', gapToLeaderMs: 1_234, lapsDown: null, intervalMs: 1_234, intervalLaps: null, gapAt: '2024-03-03T13:05:00.000Z' },
        { driverId: c, position: 3, positionAt: '2024-03-03T13:05:00.000Z', gapToLeaderMs: null, lapsDown: 1, intervalMs: null, intervalLaps: 1, gapAt: '2024-03-03T13:05:00.000Z' },
      ]);
    });

    it('answers what was known at an instant: the latest position and the latest gaps at or before it', async () => {
      const [a, b] = s.drivers as [number, number];
      await repo.liveTiming.upsert([
        row({ driverId: b, at: '2024-03-03T13:06:00.000Z', position: 1 }),
        row({ driverId: a, at: '2024-03-03T13:06:00.000Z', position: 2 }),
        row({ driverId: a, at: '2024-03-03T13:06:04.000Z', gapToLeaderMs: 800, intervalMs: 800 }),
      ]);
      const before = await repo.liveTiming.latest(s.races[0]!.id, '2024-03-03T13:05:59.999Z');
      expect(before.find((l) => l.driverId === a)).toMatchObject({ position: 1, gapToLeaderMs: null });
      const at = await repo.liveTiming.latest(s.races[0]!.id, '2024-03-03T13:06:00Z');
      expect(at.find((l) => l.driverId === a)).toMatchObject({ position: 2, positionAt: '2024-03-03T13:06:00.000Z', gapToLeaderMs: null, gapAt: null });
      expect(at.find((l) => l.driverId === b)).toMatchObject({ position: 1, gapToLeaderMs: 1_234, gapAt: '2024-03-03T13:05:00.000Z' });
      const now = await repo.liveTiming.latest(s.races[0]!.id);
      expect(now.find((l) => l.driverId === a)).toMatchObject({ position: 2, gapToLeaderMs: 800, intervalMs: 800, gapAt: '2024-03-03T13:06:04.000Z' });
    });

    it('refuses a row of a race that does not exist and a negative gap, writing none of the batch', async () => {
      await expect(repo.liveTiming.upsert([row({ at: '2024-03-03T13:10:00Z', position: 1 }), row({ raceId: 9_999, position: 1 })])).rejects.toThrow(/foreign key/);
      await expect(repo.liveTiming.upsert([row({ at: '2024-03-03T13:10:00Z', position: 1 }), row({ gapToLeaderMs: -5 })])).rejects.toThrow(/check constraint/);
      expect((await repo.liveTiming.latest(s.races[0]!.id)).find((l) => l.driverId === s.drivers[0])?.positionAt).toBe('2024-03-03T13:06:00.000Z');
    });
  });
}
