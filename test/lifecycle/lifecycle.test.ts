import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { SimulatedClock } from '../../shared/clock.js';
import { evaluateRace, scorePrediction } from '../../shared/lifecycle/evaluate.js';
import { findRace, predict, type PredictDeps } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { fetchedResultsSource } from '../../shared/ingest/results-source.js';
import { syncResults } from '../../shared/lifecycle/sync-results.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { buildSeason, registerModel, snapshotOf, type BuiltSeason } from '../helpers/builders.js';
import { backends } from '../helpers/databases.js';
import { dumpResults, loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';

/**
 * The lifecycle over a real season on a real database: the rules it applies (freeze policy,
 * race matching, validation, scoring) are tested in milliseconds in test/domain; here the
 * real 2024 calendar, qualifying and classification go through freeze, sync and scoring, and
 * the database's own refusals are tried with SQL that bypasses the repository.
 */
const data = requireData();
const policy = { kind: 'post_qualifying' } as const;

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`the prediction lifecycle over the real 2024 season on ${backend.name}`, () => {
    let db: Awaited<ReturnType<typeof backend.open>>;
    let repo: Repository;

    // The reference data and qualifying of 2024, results left out (they arrive by sync); each test uses races of its own.
    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      await loadSeasons(repo, [2024], { withResults: false });
    }, 120_000);
    afterAll(async () => db?.close());

    it('freezes Monaco after qualifying, syncs the real classification, scores it, and a re-sync changes nothing', async () => {
      const monaco = await findRace(repo, { year: 2024, race: 'Monaco' });
      const clock = new SimulatedClock(freezeWindow(monaco, policy).allowedAt);
      const deps: PredictDeps = { repo, clock, policy, forecaster: async () => new QualifyingOrderForecaster(repo) };
      const { prediction, created } = await predict(deps, { year: 2024, race: 'monaco grand prix' });
      expect(created).toBe(true);
      const quali = await repo.reference.qualifying(monaco.id);
      expect(quali.length).toBeGreaterThanOrEqual(20);
      expect(prediction.entries.map((e) => e.driverId)).toEqual(quali.map((q) => q.driverId));
      expect(prediction.entries.map((e) => e.medianPosition)).toEqual(quali.map((_, i) => i + 1));

      const source = fetchedResultsSource(dumpResults);
      const first = await syncResults({ repo, source, policy }, { year: 2024, race: 'Monaco' });
      const results = await repo.reference.results(monaco.id);
      expect(first.classified).toBe(results.length);
      expect(results.length).toBe(quali.length);
      const e = first.evaluation!;
      expect(e).toMatchObject(scorePrediction(prediction, results));
      // Monaco 2024: the pole sitter (Leclerc) won, so the qualifying order named the winner.
      const pole = quali.find((q) => q.position === 1)!;
      expect(results.find((r) => r.positionOrder === 1)!.driverId).toBe(pole.driverId);
      expect(e.winnerCorrect).toBe(true);
      expect(e.starters).toBe(results.length);
      expect(e.spearman).toBeGreaterThan(0);
      expect(e.brier.win).toBeGreaterThan(0);
      expect(e.brier.win).toBeLessThan(0.1);

      const second = await syncResults({ repo, source, policy }, { year: 2024, race: 'Monaco' });
      expect(second.evaluation).toEqual({ ...e, evaluatedAt: second.evaluation!.evaluatedAt });
      expect(await repo.reference.results(monaco.id)).toHaveLength(results.length);
      expect((await evaluateRace(repo, monaco.id, policy))!.id).toBe(e.id);
      expect(await repo.evaluations.count(monaco.id)).toBe(1);
    });
  });

  describe.skipIf(backend.skip)(`the database refuses to change a frozen snapshot, whoever asks, on ${backend.name}`, () => {
    let db: Awaited<ReturnType<typeof backend.open>>;
    let repo: Repository;
    let season: BuiltSeason;
    // One small season; each test freezes a race of its own.
    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      season = await buildSeason(repo);
    });
    afterAll(async () => db?.close());

    it('refuses to update or delete a frozen snapshot and its entries, strategy slot included', async () => {
      const race = season.races[0]!;
      const { prediction: p } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(season, race, freezeWindow(race, policy).allowedAt)));
      await expect(db.knex('predictions').where({ id: p.id }).update({ confidence: 0.5 })).rejects.toThrow(/frozen/);
      await expect(db.knex('predictions').where({ id: p.id }).delete()).rejects.toThrow(/frozen/);
      await expect(db.knex('prediction_entries').where({ prediction_id: p.id }).update({ p_win: 0.5 })).rejects.toThrow(/frozen/);
      await expect(db.knex('prediction_entries').where({ prediction_id: p.id }).delete()).rejects.toThrow(/frozen/);
      // The strategy slot is frozen with the rest (migrations/007): the freeze stores it.
      await expect(
        db.knex('prediction_entries').where({ prediction_id: p.id, driver_id: p.entries[0]!.driverId }).update({ strategy: JSON.stringify({ stops: 1 }) }),
      ).rejects.toThrow(/frozen/);
      expect(await repo.predictions.byId(p.id)).toEqual(p);
    });

    it('official is frozen with the snapshot: it cannot be handed to another, and only the official one can be scored', async () => {
      const race = season.races[1]!;
      const at = freezeWindow(race, policy).allowedAt;
      const { prediction: official } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(season, race, at)));
      await registerModel(repo, 'net-through-2023', 2023);
      const { prediction: other } = await repo.withTransaction((t) => t.predictions.freeze(snapshotOf(season, race, at, { modelVersion: 'net-through-2023' })));
      await expect(db.knex('predictions').where({ id: other.id }).update({ official: true })).rejects.toThrow(/frozen/);
      await expect(
        db.knex('evaluations').insert({ race_id: race.id, prediction_id: other.id, starters: 6, winner_correct: false, brier: '{}', log_loss: '{}', calibration_error: '{}', baseline: '{}' }),
      ).rejects.toThrow(/not the official snapshot/);
      expect((await repo.predictions.officialRef(race.id, policy))!.id).toBe(official.id);
    });
  });
}
