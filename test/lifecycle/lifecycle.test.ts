import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, NotReadyError, UpstreamError, ValidationError } from '../../shared/errors.js';
import { SimulatedClock } from '../../shared/lifecycle/clock.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { evaluateRace } from '../../shared/lifecycle/evaluate.js';
import { findRace, predict, type PredictDeps } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { fetchedResultsSource, storedResultsSource, syncResults } from '../../shared/lifecycle/sync-results.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { dumpResults, loadSeasons } from '../helpers/dump-seasons.js';

const data = requireData();

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`prediction lifecycle on ${backend.name}`, () => {
    let db: Awaited<ReturnType<typeof backend.open>>;
    let repo: Repository;
    const clock = new SimulatedClock(new Date('2024-01-01T00:00:00Z'));
    let deps: PredictDeps;

    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      await loadSeasons(repo, [2024], { withResults: false });
      deps = { repo, clock, policy: { kind: 'post_qualifying' }, forecaster: async () => new QualifyingOrderForecaster(repo) };
    }, 120_000);
    afterAll(async () => db?.close());

    it('refuses to freeze before qualifying is over and says when it will allow it', async () => {
      const monaco = await findRace(repo, { year: 2024, race: 'Monaco' });
      const { allowedAt } = freezeWindow(monaco, deps.policy);
      clock.set(new Date(allowedAt.getTime() - 60_000));
      const err = await predict(deps, { year: 2024, race: 'monaco grand prix' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect((err as ConflictError).details).toMatchObject({ allowedAt: allowedAt.toISOString() });
      expect(await repo.predictions.count()).toBe(0);
    });

    it('freezes once per race and model; later calls return the frozen snapshot', async () => {
      const monaco = await findRace(repo, { year: 2024, race: '8' });
      clock.set(freezeWindow(monaco, deps.policy).allowedAt);
      const first = await predict(deps, { year: 2024, race: 'Monaco' });
      expect(first.created).toBe(true);
      const p = first.prediction;
      expect(p).toMatchObject({ raceId: monaco.id, status: 'frozen', sessionType: 'qualifying', modelVersion: 'qualifying-order-v1' });
      expect(p.inputsHash).toMatch(/^[0-9a-f]{64}$/);
      const quali = await repo.reference.qualifying(monaco.id);
      expect(p.entries.map((e) => e.driverId).sort()).toEqual(quali.map((q) => q.driverId).sort());
      expect(p.entries.map((e) => e.predictedPosition)).toEqual(quali.map((_, i) => i + 1));
      // The median position is stored with each entry (the qualifying order's median is its slot).
      expect(p.entries.map((e) => e.medianPosition)).toEqual(quali.map((_, i) => i + 1));
      clock.set(new Date(clock.now().getTime() + 3600_000));
      const again = await predict(deps, { year: 2024, race: 'MONACO' });
      expect(again.created).toBe(false);
      expect(again.prediction.id).toBe(p.id);
      expect(again.prediction.createdAt.toISOString()).toBe(p.createdAt.toISOString());
    });

    it("stores the pre-race strategy forecast with every entry, as of the race's freeze", async () => {
      const suzuka = await findRace(repo, { year: 2024, race: 'Japan' });
      const now = clock.now();
      clock.set(freezeWindow(suzuka, deps.policy).allowedAt);
      const asked: number[] = [];
      const strategy = { method: 'pre-race history', totalLaps: 53, stops: 2, firstStopLap: { SOFT: 14, MEDIUM: 19 } };
      const { prediction } = await predict({ ...deps, strategy: async (race) => (asked.push(race.id), strategy) }, { year: 2024, race: 'Japan' });
      expect(asked).toEqual([suzuka.id]);
      expect(prediction.entries.map((e) => e.strategy)).toEqual(prediction.entries.map(() => strategy));
      expect((await repo.predictions.byId(prediction.id))!.entries[0]!.strategy).toEqual(strategy);
      clock.set(now);
    });

    it('the database refuses to change or delete a frozen snapshot and its entries', async () => {
      const p = (await repo.predictions.official((await findRace(repo, { year: 2024, race: 'Monaco' })).id, deps.policy))!;
      await expect(db.knex('predictions').where({ id: p.id }).update({ confidence: 0.5 })).rejects.toThrow(/frozen/);
      await expect(db.knex('predictions').where({ id: p.id }).delete()).rejects.toThrow(/frozen/);
      await expect(db.knex('prediction_entries').where({ prediction_id: p.id }).update({ p_win: 0.5 })).rejects.toThrow(/frozen/);
      await expect(db.knex('prediction_entries').where({ prediction_id: p.id }).delete()).rejects.toThrow(/frozen/);
      // The strategy slot is frozen with the rest (migrations/007): the freeze stores it.
      const driverId = p.entries[0]!.driverId;
      await expect(
        db.knex('prediction_entries').where({ prediction_id: p.id, driver_id: driverId }).update({ strategy: JSON.stringify({ stops: 1 }) }),
      ).rejects.toThrow(/frozen/);
    });

    it('reads back snapshots stored without a median position (frozen before the column existed) as null', async () => {
      const monaco = await findRace(repo, { year: 2024, race: 'Monaco' });
      const stored = (await repo.predictions.official(monaco.id, deps.policy))!;
      // Another race, so Monaco's latest snapshot stays the one the later tests score.
      const abuDhabi = await findRace(repo, { year: 2024, race: '24' });
      const { prediction } = await repo.withTransaction((t) => t.predictions.freeze({
        ...stored,
        raceId: abuDhabi.id,
        kind: 'retrospective',
        entries: stored.entries.map((e) => ({ ...e, medianPosition: null })),
      }));
      expect(prediction.entries.every((e) => e.medianPosition === null)).toBe(true);
      expect(prediction.entries.map((e) => e.expectedPosition)).toEqual(stored.entries.map((e) => e.expectedPosition));
    });

    it('a sync before the results exist answers not-ready and writes nothing', async () => {
      const err = await syncResults({ repo, source: storedResultsSource(repo), policy: deps.policy }, { year: 2024, race: 'Monaco' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotReadyError);
      expect(await repo.evaluations.count()).toBe(0);
    });

    it('rejects an upstream classification that does not validate, storing nothing', async () => {
      const source = fetchedResultsSource(async (s, r) => {
        const batch = await dumpResults(s, r);
        return { results: batch.results!.map((x, i) => (i === 5 ? { ...x, positionOrder: 0 } : x)) };
      });
      await expect(syncResults({ repo, source, policy: deps.policy }, { year: 2024, race: 'Monaco' })).rejects.toBeInstanceOf(UpstreamError);
      const monaco = await findRace(repo, { year: 2024, race: 'Monaco' });
      expect(await repo.reference.results(monaco.id)).toHaveLength(0);
    });

    it('syncs the classification, evaluates, and re-syncing is idempotent', async () => {
      const source = fetchedResultsSource(dumpResults);
      const first = await syncResults({ repo, source, policy: deps.policy }, { year: 2024, race: 'Monaco' });
      const monaco = await findRace(repo, { year: 2024, race: 'Monaco' });
      const results = await repo.reference.results(monaco.id);
      expect(first.classified).toBe(results.length);
      expect(results.length).toBeGreaterThanOrEqual(20);
      const e = first.evaluation!;
      expect(e).not.toBeNull();
      // Monaco 2024: pole sitter won (Leclerc), so the qualifying order got the winner right.
      const pole = (await repo.reference.qualifying(monaco.id)).find((q) => q.position === 1)!;
      const winner = results.find((r) => r.positionOrder === 1)!;
      expect(e.winnerCorrect).toBe(pole.driverId === winner.driverId);
      expect(e.starters).toBe(results.length);
      expect(e.positionMae).toBeGreaterThanOrEqual(0);
      expect(e.spearman).toBeGreaterThan(0);
      expect(e.brier.win).toBeGreaterThan(0);
      expect(e.brier.win).toBeLessThan(0.1);
      expect(e.logLoss.podium).toBeGreaterThan(0);
      expect(e.intervalCoverage).toBeGreaterThanOrEqual(0);
      expect(e.baseline.positionMae).toBeGreaterThanOrEqual(0);

      const second = await syncResults({ repo, source, policy: deps.policy }, { year: 2024, race: 'Monaco' });
      expect(await repo.evaluations.count()).toBe(1);
      expect(await repo.reference.results(monaco.id)).toHaveLength(results.length);
      expect(second.evaluation!.id).toBe(e.id);
      expect(second.evaluation!.positionMae).toBe(e.positionMae);
      const again = await evaluateRace(repo, monaco.id, deps.policy);
      expect(again!.id).toBe(e.id);
      expect(await repo.evaluations.count()).toBe(1);
    });

    it('refuses to freeze a forecast that fails validation, storing nothing', async () => {
      const base = new QualifyingOrderForecaster(repo);
      const broken = {
        version: 'broken-gaps',
        forecast: async (raceId: number, asOf: Date) => {
          const f = await base.forecast(raceId, asOf);
          return { ...f, drivers: f.drivers.map((d) => (d.predictedPosition === 5 ? { ...d, gapSeconds: 1 } : d)) };
        },
      };
      const before = await repo.predictions.count();
      const err = await predict({ ...deps, forecaster: async () => broken }, { year: 2024, race: 'Monaco' }).catch((e: unknown) => e);
      expect((err as Error).message).toMatch(/gaps are not monotonic at P5/);
      expect(await repo.predictions.count()).toBe(before);
    });

    it('matches races by name variants and rejects unknown or ambiguous ones', async () => {
      expect((await findRace(repo, { year: 2024, race: 'Abu Dhabi GP' })).round).toBe(24);
      expect((await findRace(repo, { year: 2024, race: 'abu dhabi grand prix' })).round).toBe(24);
      await expect(findRace(repo, { year: 2024, race: 'Atlantis' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(findRace(repo, { year: 2024, race: '30' })).rejects.toBeInstanceOf(NotFoundError);
      await expect(findRace(repo, { year: 1949, race: '1' })).rejects.toBeInstanceOf(NotFoundError);
      // 'Ita' is part of Italian only; 'an' of many names.
      await expect(findRace(repo, { year: 2024, race: 'ian' })).rejects.toBeInstanceOf(ValidationError);
    });
  });
}
