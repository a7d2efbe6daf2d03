import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../shared/clock.js';
import { freezeWindow, type FreezePolicy } from '../../shared/domain/freeze-policy.js';
import { ConflictError } from '../../shared/errors.js';
import { fetchedResultsSource } from '../../shared/ingest/results-source.js';
import { findRace, predict, type PredictDeps } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { syncResults } from '../../shared/lifecycle/sync-results.js';
import { presentPrediction } from '../../shared/api/read-api.js';
import { preWeekendForecaster } from '../../shared/models/pre-weekend/forecaster.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { dumpResults, loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';

/**
 * The pre-weekend forecast through the lifecycle on real PostgreSQL with the real 2022–2024
 * data (2024's results arrive by sync): frozen a day before first practice with the latest
 * line-up, official beside the post-qualifying forecast, scored at the sync, and the database
 * refuses a learner that has learnt a race at or after the freeze.
 */
const data = requireData();
const policy: FreezePolicy = { kind: 'post_qualifying' };
const preWeekend: FreezePolicy = { kind: 'pre_weekend', hours: 24 };
const postgresBackend = backends.find((b) => b.name === 'postgres')!;

describe.skipIf(postgresBackend.skip || data.skip)('the pre-weekend forecast over real 2022–2024 data on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof postgresBackend.open>>;
  let repo: Repository;
  const depsAt = (clock: SimulatedClock): PredictDeps => ({
    repo,
    clock,
    policy,
    forecaster: async () => new QualifyingOrderForecaster(repo),
    preWeekend: { policy: preWeekend, forecaster: preWeekendForecaster({ repo, hours: 24 }) },
  });

  beforeAll(async () => {
    db = await postgresBackend.open();
    repo = createRepository(db.knex);
    await loadSeasons(repo, [2022, 2023]);
    await loadSeasons(repo, [2024], { withResults: false });
  }, 300_000);
  afterAll(async () => db?.close());

  it('freezes before the weekend with the last line-up, beside the post-qualifying forecast, and both are scored at the sync', async () => {
    const bahrain = await findRace(repo, { year: 2024, race: '1' });
    const early = freezeWindow(bahrain, preWeekend).allowedAt;
    expect(early.getTime()).toBeLessThan(freezeWindow(bahrain, policy).allowedAt.getTime());
    const clock = new SimulatedClock(early);
    // Too early by a minute: refused with the instant it opens.
    clock.set(new Date(early.getTime() - 60_000));
    await expect(predict(depsAt(clock), { year: 2024, race: '1', policy: 'pre_weekend' })).rejects.toThrow(ConflictError);
    clock.set(early);
    const { prediction, created } = await predict(depsAt(clock), { year: 2024, race: '1', policy: 'pre_weekend' });
    expect(created).toBe(true);
    expect(prediction).toMatchObject({ official: true, kind: 'forecast', sessionType: 'pre_weekend', freezePolicy: preWeekend });
    expect(prediction.modelVersion).toBe('pre-weekend-v1+2023r22');
    // The entry list is Abu Dhabi 2023's line-up (none of 2024 was known).
    const abuDhabi = await findRace(repo, { year: 2023, race: '22' });
    const abuDhabiName = abuDhabi.name;
    const lastLineUp = (await repo.reference.results(abuDhabi.id)).map((r) => r.driverId).sort((a, b) => a - b);
    expect(prediction.entries.map((e) => e.driverId).sort((a, b) => a - b)).toEqual(lastLineUp);
    expect(prediction.entries.reduce((s, e) => s + e.pWin, 0)).toBeCloseTo(1, 6);
    expect(prediction.entries.every((e) => (e.reasons?.length ?? 0) > 0 || Math.abs(e.pWin - 1 / 20) < 0.05)).toBe(true);
    // As served: named as the pre-weekend model through the race it learnt last; no qualifying position (none was known).
    const served = await presentPrediction(repo, bahrain, prediction);
    expect(served.model).toMatchObject({ version: 'pre-weekend-v1+2023r22', learntThrough: { season: 2023, round: 22, race: abuDhabiName } });
    expect(served.model.label).toMatch(/the pre-weekend model .* through 2023 R22/);
    expect(served.entries.every((e) => e.qualifyingPosition === null)).toBe(true);
    // Asking again gives the same snapshot.
    expect((await predict(depsAt(clock), { year: 2024, race: '1', policy: 'pre_weekend' })).created).toBe(false);

    clock.set(freezeWindow(bahrain, policy).allowedAt);
    const post = await predict(depsAt(clock), { year: 2024, race: '1' });
    expect(post.prediction.official).toBe(true);
    expect(post.prediction.id).not.toBe(prediction.id);
    expect((await repo.predictions.officialRef(bahrain.id, preWeekend))!.id).toBe(prediction.id);

    await syncResults({ repo, source: fetchedResultsSource(dumpResults), policy }, { year: 2024, race: '1' });
    const scored = await repo.evaluations.byPrediction(prediction.id);
    expect(scored).toBeDefined();
    expect(scored!.positionMae).toBeGreaterThan(0);
    expect(await repo.evaluations.byPrediction(post.prediction.id)).toBeDefined();
  }, 300_000);

  it("the next race's freeze resumes the stored learner, which has learnt the synced race; the database refuses one that has learnt the race itself", async () => {
    const saudi = await findRace(repo, { year: 2024, race: '2' });
    const clock = new SimulatedClock(freezeWindow(saudi, preWeekend).allowedAt);
    const { prediction } = await predict(depsAt(clock), { year: 2024, race: '2', policy: 'pre_weekend' });
    expect(prediction.modelVersion).toBe('pre-weekend-v1+2024r01');
    expect((await repo.preWeekend.byVersion('pre-weekend-v1+2024r01'))!.throughRaceId).toBe((await findRace(repo, { year: 2024, race: '1' })).id);
    // A snapshot of Bahrain by the learner that has learnt Bahrain: only retrospective.
    const bahrain = await findRace(repo, { year: 2024, race: '1' });
    const insert = db.knex('predictions').insert({
      race_id: bahrain.id, model_version: 'pre-weekend-v1+2024r01', kind: 'forecast', clock: 'simulated', created_at: freezeWindow(bahrain, preWeekend).allowedAt,
      freeze_policy: 'pre_weekend', freeze_minutes: 24 * 60, snapshot_at: freezeWindow(bahrain, preWeekend).allowedAt, session_type: 'pre_weekend',
      inputs_hash: 'a'.repeat(64), confidence: 0.5, feature_coverage: 1, imputed_count: 0, warnings: JSON.stringify([]),
    });
    await expect(insert).rejects.toThrow(/has seen data through .* only make a retrospective forecast/);
  }, 300_000);
});
