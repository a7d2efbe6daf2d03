import { describe, expect, it } from 'vitest';
import { freezeWindow, type FreezePolicy } from '../../shared/domain/freeze-policy.js';
import type { Prediction, PredictionEntry } from '../../shared/domain/prediction.js';
import type { RaceResult } from '../../shared/domain/reference.js';
import { NotFoundError, NotReadyError, UpstreamError, UpstreamIncompleteError } from '../../shared/errors.js';
import { SimulatedClock } from '../../shared/clock.js';
import { evaluateRace, scorePrediction } from '../../shared/lifecycle/evaluate.js';
import { predict } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { fetchedResultsSource } from '../../shared/ingest/results-source.js';
import { storedResultsSource, syncResults } from '../../shared/lifecycle/sync-results.js';
import { createMemoryRepository } from '../../shared/repository/memory/index.js';
import { addResults, buildSeason, raceNamed, resultBatch } from '../helpers/builders.js';

const entry = (driverId: number, predictedPosition: number, medianPosition: number | null): PredictionEntry => ({
  driverId, constructorId: 1, predictedPosition, expectedPosition: predictedPosition, medianPosition, gapSeconds: 0, gapLowSeconds: 0,
  gapHighSeconds: 1, gapFlagged: false, pWin: 0.25, pPodium: 0.75, pPoints: 1, pDnf: 0.1, featureCoverage: 1, imputedCount: 0, strategy: null, reasons: null,
});
const prediction = (entries: PredictionEntry[]): Prediction => ({
  id: 1, raceId: 1, modelVersion: 'm', kind: 'forecast', clock: 'simulated', official: true, recordedAt: new Date(0), createdAt: new Date(0), freezePolicy: { kind: 'post_qualifying' }, snapshotAt: new Date(0),
  sessionType: 'qualifying', inputsHash: '0'.repeat(64), confidence: 0.5, featureCoverage: 1, imputedCount: 0, status: 'frozen', warnings: [], entries, weather: null, headToHead: null,
});
const result = (driverId: number, positionOrder: number, grid: number): RaceResult => ({
  raceId: 1, driverId, constructorId: 1, number: null, grid, position: positionOrder, positionText: String(positionOrder), positionOrder,
  points: 0, laps: 50, timeText: null, milliseconds: null, fastestLap: null, fastestLapRank: null, fastestLapTime: null, fastestLapSpeed: null,
  status: 'Finished',
});

describe('scoring a frozen prediction', () => {
  // Actual order 2, 1, 3, 4; grid order 1, 2, 3, 4.
  const results = [result(1, 2, 1), result(2, 1, 2), result(3, 3, 3), result(4, 4, 4)];

  it('position MAE scores the median positions, as the backtest does; grid order is its own median', () => {
    const e = scorePrediction(prediction([entry(1, 1, 1.5), entry(2, 2, 1.5), entry(3, 3, 3), entry(4, 4, 4)]), results);
    expect(e.positionMae).toBeCloseTo((0.5 + 0.5 + 0 + 0) / 4);
    expect(e.spearman).toBeCloseTo(0.8);
    expect(e.baseline.positionMae).toBeCloseTo((1 + 1) / 4);
  });

  it('snapshots frozen without medians are scored on their predicted rank', () => {
    const e = scorePrediction(prediction([entry(1, 1, null), entry(2, 2, null), entry(3, 3, null), entry(4, 4, null)]), results);
    expect(e.positionMae).toBeCloseTo(0.5);
  });
});

const policy: FreezePolicy = { kind: 'post_qualifying' };
const tMinus: FreezePolicy = { kind: 't_minus', minutes: 60 };

/** A small season with Monaco's forecast frozen (the qualifying order: driver order) under the given policies. */
async function frozenMonaco(policies: FreezePolicy[] = [policy]) {
  const repo = createMemoryRepository();
  const season = await buildSeason(repo);
  const monaco = raceNamed(season, 'Monaco');
  const frozen = [];
  for (const p of policies) {
    const clock = new SimulatedClock(freezeWindow(monaco, p).allowedAt);
    frozen.push((await predict({ repo, clock, policy: p, forecaster: async () => new QualifyingOrderForecaster(repo) }, { year: 2024, race: 'Monaco' })).prediction);
  }
  // The winner started second: the pole sitter and he swap places, everyone else finishes where they started.
  const [pole, second, ...rest] = season.drivers;
  const finish = [second!, pole!, ...rest];
  return { repo, season, monaco, frozen, finish };
}

describe('syncing a classification and scoring the official snapshot', () => {
  it('stores the classification, scores the official snapshot, and a re-sync changes nothing', async () => {
    const { repo, season, monaco, frozen: [prediction], finish } = await frozenMonaco();
    const source = fetchedResultsSource(async () => resultBatch(season, monaco, finish));
    const first = await syncResults({ repo, source, policy }, { year: 2024, race: 'Monaco' });
    expect(first).toMatchObject({ raceId: monaco.id, source: 'jolpica', classified: 6, modelUpdate: null });
    expect((await repo.reference.results(monaco.id)).map((r) => r.driverId)).toEqual(finish);
    const e = first.evaluation!;
    expect(e).toMatchObject({ predictionId: prediction!.id, starters: 6, winnerCorrect: false });
    // Two drivers one place off of six; one swap of six in rank correlation; the grid order was the finishing order.
    expect(e.positionMae).toBeCloseTo(2 / 6);
    expect(e.spearman).toBeCloseTo(1 - (6 * 2) / (6 * 35));
    expect(e.baseline).toEqual({ positionMae: 0, winnerCorrect: true, podiumAccuracy: 1, top10Accuracy: 1, spearman: 1 });
    // What is stored is the one scorer's verdict on the stored snapshot.
    const { evaluatedAt: _at, ...scored } = scorePrediction(prediction!, await repo.reference.results(monaco.id));
    expect(e).toMatchObject(scored);

    const second = await syncResults({ repo, source, policy }, { year: 2024, race: 'Monaco' });
    expect(second.evaluation).toMatchObject({ ...scored, id: e.id });
    expect(await repo.reference.results(monaco.id)).toHaveLength(6);
    expect(await repo.evaluations.count()).toBe(1);
    expect((await evaluateRace(repo, monaco.id, policy))!.id).toBe(e.id);
    expect(await repo.evaluations.count()).toBe(1);
  });

  it('before the results exist, answers not-ready and writes nothing', async () => {
    const { repo } = await frozenMonaco();
    await expect(syncResults({ repo, source: storedResultsSource(repo), policy }, { year: 2024, race: 'Monaco' })).rejects.toBeInstanceOf(NotReadyError);
    await expect(syncResults({ repo, source: fetchedResultsSource(async () => ({ results: [] })), policy }, { year: 2024, race: 'Monaco' })).rejects.toBeInstanceOf(NotReadyError);
    expect(await repo.evaluations.count()).toBe(0);
    expect(await repo.ingestionRuns.latest(5)).toEqual([]);
  });

  it('refuses an upstream classification with a row that does not validate, storing none of it and recording the refusal', async () => {
    const { repo, season, monaco, finish } = await frozenMonaco();
    const batch = resultBatch(season, monaco, finish);
    const broken = { results: batch.results!.map((x, i) => (i === 4 ? { ...x, positionOrder: 0 } : x)) };
    const err = await syncResults({ repo, source: fetchedResultsSource(async () => broken), policy }, { year: 2024, race: 'Monaco' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamIncompleteError);
    expect(await repo.reference.results(monaco.id)).toEqual([]);
    expect(await repo.evaluations.count()).toBe(0);
    const [run] = await repo.ingestionRuns.latest(1);
    expect(run).toMatchObject({ source: 'results-sync', status: 'failed', parameters: { season: 2024, round: monaco.round, raceId: monaco.id, source: 'jolpica' } });
    expect(run!.counts.results).toEqual({ read: 6, inserted: 0, updated: 0, unchanged: 0, quarantined: 1 });
    const quarantined = await repo.ingestionRuns.quarantined(run!.id);
    expect(quarantined.map((q) => [q.tableName, (q.raw as { positionOrder: number }).positionOrder])).toEqual([['results', 0]]);
    // The one loader's reason: the zod issue of the field.
    expect(quarantined[0]!.reason).toMatch(/^positionOrder: /);
  });

  it('refuses a classification naming a driver it does not know, storing nothing', async () => {
    const { repo, season, monaco, finish } = await frozenMonaco();
    const batch = resultBatch(season, monaco, finish);
    const stranger = { results: batch.results!.map((x, i) => (i === 0 ? { ...x, driverRef: 'nobody' } : x)) };
    const err = await syncResults({ repo, source: fetchedResultsSource(async () => stranger), policy }, { year: 2024, race: 'Monaco' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).details).toMatchObject({ raceId: monaco.id, rows: 6, rejected: 1 });
    expect(await repo.reference.results(monaco.id)).toEqual([]);
    // The loader quarantined the row it could not resolve; the failed run keeps it.
    const [run] = await repo.ingestionRuns.latest(1);
    expect(run).toMatchObject({ source: 'results-sync', status: 'failed' });
    expect((await repo.ingestionRuns.quarantined(run!.id)).map((q) => [q.tableName, q.reason, (q.raw as { driverRef: string }).driverRef])).toEqual([['results', 'unknown driverRef nobody', 'nobody']]);
  });

  it('scores the official snapshot of every policy, answering with the asked one', async () => {
    const { repo, season, monaco, frozen, finish } = await frozenMonaco([policy, tMinus]);
    await addResults(repo, season, monaco, finish);
    const asked = await evaluateRace(repo, monaco.id, tMinus);
    expect(asked!.predictionId).toBe(frozen[1]!.id);
    expect(await repo.evaluations.count(monaco.id)).toBe(2);
    expect((await repo.evaluations.byPrediction(frozen[0]!.id))!.positionMae).toBeCloseTo(2 / 6);
  });

  it('a race without an official snapshot under the policy has no evaluation; one without results cannot be evaluated', async () => {
    const { repo, season, monaco, finish } = await frozenMonaco([tMinus]);
    await addResults(repo, season, monaco, finish);
    expect(await evaluateRace(repo, monaco.id, policy)).toBeNull();
    await expect(evaluateRace(repo, season.races[0]!.id, policy)).rejects.toBeInstanceOf(NotFoundError);
  });
});
