import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChampionshipOddsEntry } from '../../shared/repository/championship-store.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { backends } from '../helpers/databases.js';
import { buildSeason, type BuiltSeason } from '../helpers/builders.js';

const entry = (entity: ChampionshipOddsEntry['entity'], entityId: number, pTitle: number): ChampionshipOddsEntry => ({
  entity, entityId, currentPoints: 50, pTitle, pTop3: Math.min(1, pTitle * 2), expectedPoints: 100 * pTitle + 50, p10: 60, p50: 80, p90: 120,
  histogram: { from: 50, width: 10, shares: [0.2, 0.5, 0.3] },
});

const stores: { name: string; skip: boolean; open: () => Promise<{ repo: Repository; close: () => Promise<void> }> }[] = [
  ...backends.map((b) => ({ name: b.name, skip: b.skip, open: async () => { const db = await b.open(); return { repo: createRepository(db.knex), close: db.close }; } })),
  { name: 'memory', skip: false, open: async () => ({ repo: createMemoryRepository(), close: async () => undefined }) },
];

describe.each(stores.filter((s) => !s.skip))('championship odds store ($name)', (backend) => {
  let repo: Repository;
  let close: () => Promise<void>;
  let s: BuiltSeason;
  beforeAll(async () => {
    ({ repo, close } = await backend.open());
    s = await buildSeason(repo, { season: 2024, races: 3 });
  }, 60_000);
  afterAll(async () => close?.());

  it('stores a set per round, replaces it whole on recompute, and serves the latest round and the history', async () => {
    const [r1, r2] = s.races;
    expect(await repo.championship.latest(2024)).toBeUndefined();
    await repo.championship.replace({ season: 2024, round: 1, raceId: r1!.id, model: 'm+2024r01', samples: 100, entries: [entry('driver', s.drivers[0]!, 0.4), entry('driver', s.drivers[1]!, 0.6), entry('constructor', 7, 1)] });
    await repo.championship.replace({ season: 2024, round: 2, raceId: r2!.id, model: 'm+2024r02', samples: 100, entries: [entry('driver', s.drivers[0]!, 0.7), entry('driver', s.drivers[1]!, 0.3)] });
    // A recompute of round 1 with one driver fewer: nothing of the first set is left.
    await repo.championship.replace({ season: 2024, round: 1, raceId: r1!.id, model: 'm+2024r01b', samples: 200, entries: [entry('driver', s.drivers[1]!, 1), entry('constructor', 7, 1)] });

    const one = (await repo.championship.get(2024, 1))!;
    expect(one.model).toBe('m+2024r01b');
    expect(one.samples).toBe(200);
    expect(one.computedAt).toBeInstanceOf(Date);
    expect(one.entries.map((e) => [e.entity, e.entityId, e.pTitle])).toEqual([['driver', s.drivers[1], 1], ['constructor', 7, 1]]);
    expect(one.entries[0]!.histogram).toEqual({ from: 50, width: 10, shares: [0.2, 0.5, 0.3] });

    const latest = (await repo.championship.latest(2024))!;
    expect(latest.round).toBe(2);
    expect(latest.entries.map((e) => e.entityId)).toEqual([s.drivers[0], s.drivers[1]]);
    expect(await repo.championship.get(2024, 3)).toBeUndefined();
    expect(await repo.championship.latest(2023)).toBeUndefined();

    const history = await repo.championship.titleHistory(2024);
    expect(history.filter((h) => h.entity === 'driver').map((h) => [h.round, h.entityId, h.pTitle])).toEqual([
      [1, s.drivers[1], 1],
      [2, s.drivers[0], 0.7],
      [2, s.drivers[1], 0.3],
    ]);
  });
});
