import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { storeAndPublish } from '../../shared/live/publish.js';
import { createInProcessLiveBus, type LiveEvent } from '../../shared/live/live-bus.js';
import { buildSeason, type BuiltSeason } from '../helpers/builders.js';
import { backends } from '../helpers/databases.js';
import { tickAt } from './ticks.js';

interface Under {
  repo: Repository;
  /** Every tick stored so far is `ms` older (their created_at against the database's clock). */
  age(ms: number): Promise<void>;
  close(): Promise<void>;
}

const HOUR = 3_600_000;

/** The liveTicks store's behaviour, one contract on memory, PGlite and PostgreSQL. */
function liveTicksContract(name: string, open: () => Promise<Under>, skip = false) {
  describe.skipIf(skip)(`live ticks on ${name}`, () => {
    let under: Under;
    let s: BuiltSeason;
    beforeEach(async () => {
      under = await open();
      s = await buildSeason(under.repo, { races: 2 });
    });
    afterEach(async () => under?.close());
    const race = () => s.races[0]!;

    it('stores a tick with an id and hands it back as computed; the same race and data instant again is the stored tick, not a second one', async () => {
      const { repo } = under;
      const tick = tickAt(race(), s.drivers, 3);
      const stored = await repo.liveTicks.append(tick);
      expect(stored).toEqual({ ...tick, id: stored.id });
      // Written as another ISO spelling of the same instant, with other odds: still the first tick.
      const again = await repo.liveTicks.append({ ...tick, at: tick.at.replace('Z', '+00:00'), finish: [] });
      expect(again).toEqual(stored);
      expect(await repo.liveTicks.list(race().id)).toEqual([stored]);
    });

    it('lists a race in id order after a given id, paged, and gives its latest tick; another race is kept apart', async () => {
      const { repo } = under;
      const ids: number[] = [];
      for (const lap of [0, 1, 2, 3, 4]) ids.push((await repo.liveTicks.append(tickAt(race(), s.drivers, lap))).id);
      await repo.liveTicks.append(tickAt(s.races[1]!, s.drivers, 9));
      expect((await repo.liveTicks.list(race().id)).map((t) => t.state.lap)).toEqual([0, 1, 2, 3, 4]);
      expect((await repo.liveTicks.list(race().id, { afterId: ids[1]! })).map((t) => t.id)).toEqual(ids.slice(2));
      expect((await repo.liveTicks.list(race().id, { afterId: ids[0]!, limit: 2 })).map((t) => t.state.lap)).toEqual([1, 2]);
      expect((await repo.liveTicks.latest(race().id))?.state.lap).toBe(4);
      expect(await repo.liveTicks.latest(s.races[1]!.id + 100)).toBeUndefined();
    });

    it("keeps each tick's lap and finishing odds as the history over laps", async () => {
      const { repo } = under;
      for (const lap of [0, 10, 20]) await repo.liveTicks.append(tickAt(race(), s.drivers, lap));
      const history = await repo.liveTicks.history(race().id);
      expect(history.map((h) => h.lap)).toEqual([0, 10, 20]);
      expect(history[2]!.finish).toEqual(tickAt(race(), s.drivers, 20).finish);
      expect(history[1]!.at).toBe(tickAt(race(), s.drivers, 10).at);
    });

    it('lists the races with a tick stored recently, each with its latest tick, newest first', async () => {
      const { repo } = under;
      await repo.liveTicks.append(tickAt(race(), s.drivers, 1));
      await repo.liveTicks.append(tickAt(race(), s.drivers, 2));
      await under.age(3 * HOUR);
      await repo.liveTicks.append(tickAt(s.races[1]!, s.drivers, 5));
      expect((await repo.liveTicks.liveRaces(6 * HOUR)).map((t) => [t.raceId, t.state.lap])).toEqual([[s.races[1]!.id, 5], [race().id, 2]]);
      expect((await repo.liveTicks.liveRaces(2 * HOUR)).map((t) => t.raceId)).toEqual([s.races[1]!.id]);
    });

    it('refuses a tick of a race that does not exist', async () => {
      await expect(under.repo.liveTicks.append(tickAt({ id: 999_999, season: 2024, round: 1 }, s.drivers, 1))).rejects.toThrow(/foreign key/);
    });

    it('a tick appended in a transaction that fails is not kept', async () => {
      const { repo } = under;
      await expect(repo.withTransaction(async (trx) => {
        await trx.liveTicks.append(tickAt(race(), s.drivers, 1));
        throw new Error('rolled back');
      })).rejects.toThrow('rolled back');
      expect(await repo.liveTicks.list(race().id)).toEqual([]);
    });

    it('storeAndPublish stores the tick, then announces its id, once per call', async () => {
      const bus = createInProcessLiveBus();
      const heard: LiveEvent[] = [];
      bus.subscribe((e) => heard.push(e));
      const tick = tickAt(race(), s.drivers, 7);
      const stored = await storeAndPublish({ repo: under.repo, bus }, tick);
      await storeAndPublish({ repo: under.repo, bus }, tick);
      await new Promise((r) => setImmediate(r));
      expect(heard).toEqual([{ raceId: race().id, tickId: stored.id }, { raceId: race().id, tickId: stored.id }]);
      expect(await under.repo.liveTicks.list(race().id)).toHaveLength(1);
      await bus.close();
    });
  });
}

liveTicksContract('the in-memory repository', async () => {
  let offset = 0;
  const repo = createMemoryRepository({ now: () => new Date(Date.now() + offset) });
  // The database's clock moves on: every tick stored so far is older by that much.
  return { repo, age: async (ms) => void (offset += ms), close: async () => undefined };
});

for (const backend of backends) {
  liveTicksContract(backend.name, async () => {
    const db = await backend.open();
    return {
      repo: createRepository(db.knex),
      age: async (ms) => void (await db.knex('live_ticks').update({ created_at: db.knex.raw("created_at - (? * interval '1 millisecond')", [ms]) })),
      close: () => db.close(),
    };
  }, backend.skip);
}
