import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postQualifyingFreeze, type History } from '../../shared/domain/history.js';
import { computeRaceFeatures, featureNames, indexHistory, type RaceFeatures } from '../../shared/features/race-features.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { loadSeasons } from '../helpers/dump-seasons.js';

const data = requireData();

describe.each(backends.filter((b) => !b.skip))('race features on real data ($name)', (backend) => {
  let db: Awaited<ReturnType<(typeof backends)[number]['open']>>;
  let repo: Repository;
  let full: History;

  beforeAll(async () => {
    if (data.skip) return;
    db = await backend.open();
    repo = createRepository(db.knex);
    await loadSeasons(repo, [2021, 2022, 2023]);
    full = await repo.history.load({});
  }, 240_000);
  afterAll(async () => db?.close());

  /** A 2023 sprint weekend and a regular one, each at its post-qualifying freeze. */
  const cases = (): { raceId: number; asOf: Date; label: string }[] =>
    [
      [2023, 4], // Azerbaijan: sprint on Saturday, after the Friday qualifying
      [2023, 12],
    ].map(([season, round]) => {
      const race = full.races.find((r) => r.season === season && r.round === round)!;
      return { raceId: race.id, asOf: postQualifyingFreeze(race), label: `${season} R${round}` };
    });

  it.skipIf(data.skip)('features use qualifying and history, report coverage, and impute nothing they know', () => {
    const ix = indexHistory(full);
    const { raceId, asOf } = cases()[1]!;
    const f = computeRaceFeatures(ix, raceId, asOf);
    expect(f.drivers.length).toBe(20);
    const q = featureNames.indexOf('qualiPosition');
    expect(f.drivers.map((d) => d.values[q]).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const champ = featureNames.indexOf('championshipPosition');
    expect(f.drivers.filter((d) => d.values[champ] !== null).length).toBeGreaterThan(15);
    // Qualifying pace beside the teammate and the team's recent pace are known for every car of a 2023 race.
    const at = (name: (typeof featureNames)[number]) => featureNames.indexOf(name);
    for (const name of ['teammateQualiGapPct', 'constructorQualiGapPct', 'constructorRaceGain'] as const) {
      expect(f.drivers.filter((d) => d.values[at(name)] !== null).length, name).toBeGreaterThanOrEqual(18);
    }
    for (const d of f.drivers) {
      const mate = f.drivers.find((m) => m.constructorId === d.constructorId && m.driverId !== d.driverId)!;
      // Team features are the team's; the teammate gaps point opposite ways.
      expect(d.values[at('constructorQualiGapPct')]).toBe(mate.values[at('constructorQualiGapPct')]);
      expect(d.values[at('constructorRaceGain')]).toBe(mate.values[at('constructorRaceGain')]);
      const g = d.values[at('teammateQualiGapPct')];
      if (g != null && g !== 0) expect(Math.sign(g)).toBe(-Math.sign(mate.values[at('teammateQualiGapPct')]!));
    }
    // The race's own result (grid, finishing order) is not an input: its results exist in `full`.
    expect(ix.byRace.get(raceId)?.length).toBe(20);
  });

  it.skipIf(data.skip)('LEAKAGE: deleting or altering every row dated after the freeze changes no feature', async () => {
    const before = new Map<number, RaceFeatures>();
    for (const c of cases()) before.set(c.raceId, computeRaceFeatures(indexHistory(await repo.history.load({ asOf: c.asOf })), c.raceId, c.asOf));

    for (const c of cases()) {
      // Alter everything from the freeze on, in the database, inside a transaction rolled back afterwards.
      await db.knex
        .transaction(async (trx) => {
          const trepo = createRepository(trx);
          const races = full.races.filter((r) => r.raceStart >= c.asOf).map((r) => r.id);
          const lateQuali = full.races.filter((r) => r.qualiStart >= c.asOf).map((r) => r.id);
          const lateSprint = full.races.filter((r) => r.sprintStart && r.sprintStart >= c.asOf).map((r) => r.id);
          await trx('results').whereIn('race_id', races).update({ position_order: trx.raw('100 - position_order'), points: 0, grid: 1 });
          await trx('driver_standings').whereIn('race_id', races).update({ points: 999, position: 1 });
          await trx('qualifying').whereIn('race_id', lateQuali).update({ position: trx.raw('100 - position'), q1_ms: 1 });
          await trx('sprint_results').whereIn('race_id', lateSprint).delete();
          await trx('constructor_standings').whereIn('race_id', races).delete();
          const altered = computeRaceFeatures(indexHistory(await trepo.history.load({})), c.raceId, c.asOf);
          expect(altered, `${c.label} after altering`).toEqual(before.get(c.raceId));
          await trx('results').whereIn('race_id', races).delete();
          await trx('driver_standings').whereIn('race_id', races).delete();
          await trx('qualifying').whereIn('race_id', lateQuali).delete();
          const deleted = computeRaceFeatures(indexHistory(await trepo.history.load({})), c.raceId, c.asOf);
          expect(deleted, `${c.label} after deleting`).toEqual(before.get(c.raceId));
          throw new Error('rollback');
        })
        .catch((err: Error) => {
          if (err.message !== 'rollback') throw err;
        });
    }
  }, 120_000);

  it.skipIf(data.skip)('the sprint counts only when it ran before the freeze', () => {
    const ix = indexHistory(full);
    const race = full.races.find((r) => r.season === 2023 && r.round === 4)!;
    const sprint = featureNames.indexOf('sprintPosition');
    const atQuali = computeRaceFeatures(ix, race.id, postQualifyingFreeze(race));
    expect(race.sprintStart!.getTime()).toBeGreaterThan(postQualifyingFreeze(race).getTime());
    expect(atQuali.drivers.every((d) => d.values[sprint] === null)).toBe(true);
    const afterSprint = computeRaceFeatures(ix, race.id, new Date(race.sprintStart!.getTime() + 3 * 3_600_000));
    expect(afterSprint.drivers.filter((d) => d.values[sprint] !== null).length).toBeGreaterThan(15);
  });
});
