import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRace } from '../../shared/lifecycle/predict.js';
import { scorePrediction } from '../../shared/lifecycle/evaluate.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { dataDir, requireData } from '../helpers/settings.js';
import { recordedResultsPage, resultsOf } from '../hostile/fake-jolpica.js';
import { atFreeze, startStack } from '../api/stack.js';

/**
 * A classification corrected after the race, as Austria 2023's was (track-limit penalties
 * handed out hours after the flag): the real recorded classification (2023 R9) served by a
 * local Jolpica-format server is the corrected one; the provisional one is built from it with
 * Sainz and Norris swapped (Sainz P4, Norris P6, their points and times too) and Zhou still
 * on the lead lap. The daily re-check (POST /results/sync/latest) finds the correction.
 */

const data = requireData();
const postgres = backends.find((b) => b.name === 'postgres')!;

type ResultRow = Record<string, unknown> & { Driver: { code: string } };

function provisionalPage() {
  const page = recordedResultsPage(dataDir);
  const rows = resultsOf(page) as ResultRow[];
  const nor = rows.find((r) => r.Driver.code === 'NOR')!;
  const sai = rows.find((r) => r.Driver.code === 'SAI')!;
  for (const k of ['position', 'positionText', 'points', 'Time'] as const) [nor[k], sai[k]] = [sai[k], nor[k]];
  const zho = rows.find((r) => r.Driver.code === 'ZHO')!;
  Object.assign(zho, { status: 'Finished', laps: '71', Time: { millis: '5223374', time: '+1:29.767' } });
  return JSON.stringify(page);
}

describe.skipIf(data.skip || postgres.skip)('a classification corrected after the race (2023 R9, PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof postgres.open>>;
  let replay: ReplayServer;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let raceId: number;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-corrections-'));
  const serveProvisional = () => replay.inject('/2023/9/results', [{ status: 200, headers: { 'content-type': 'application/json' }, body: provisionalPage() }]);
  const post = async (p: string) => {
    const res = await fetch(`${stack.url}${p}`, { method: 'POST' });
    return { status: res.status, headers: res.headers, body: await res.json() };
  };
  const get = async (p: string) => (await fetch(`${stack.url}${p}`)).json();

  beforeAll(async () => {
    replay = await startReplayServer(path.join(dataDir, 'api-replay'));
    db = await postgres.open();
    await loadSeasons(createRepository(db.knex), [2023], { withResults: false });
    stack = await startStack(db, { env: { RESULTS_SOURCE: 'jolpica', JOLPICA_BASE_URL: replay.jolpicaBaseUrl, JOLPICA_PAGE_SIZE: '30', HTTP_CACHE_DIR: cacheDir } });
    raceId = (await findRace(stack.app.repo, { year: 2023, race: '9' })).id;
    await atFreeze(stack, 2023, '9');
    expect((await fetch(`${stack.url}/predict?year=2023&race=9`, { method: 'POST' })).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await stack?.server.close();
    await replay?.close();
    await db?.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('stores the provisional classification as version 1, finds the correction on a later daily re-check, re-scores, and the API shows both', async () => {
    const repo = stack.app.repo;
    // Race day, four hours after the start: the provisional classification.
    stack.clock.set(new Date('2023-07-02T17:00:00Z'));
    serveProvisional();
    const first = await post('/results/sync/2023/9');
    expect(first.status).toBe(200);
    expect(first.body.result).toEqual({ outcome: 'stored', version: 1, syncedAt: '2023-07-02T17:00:00.000Z', summary: 'first classification' });
    expect(first.body.evaluation.resultVersion).toBe(1);
    const firstRun = await repo.ingestionRuns.byId(first.body.runId);
    expect(firstRun).toMatchObject({ source: 'results-sync', status: 'succeeded', parameters: { season: 2023, round: 9, raceId, source: 'jolpica' } });
    expect(firstRun!.counts.results).toEqual({ read: 20, inserted: 20, updated: 0, unchanged: 0, quarantined: 0 });

    // The next morning the upstream still has the provisional one: nothing new.
    stack.clock.set(new Date('2023-07-03T06:00:00Z'));
    serveProvisional();
    const same = await post('/results/sync/latest');
    expect(same.status).toBe(200);
    expect(same.body.raceId).toBe(raceId);
    expect(same.body.result).toMatchObject({ outcome: 'unchanged', version: 1, summary: 'no change' });
    expect(same.body.races).toEqual([{ raceId, season: 2023, round: 9, name: 'Austrian Grand Prix', outcome: 'unchanged', resultVersion: 1, detail: 'no change' }]);
    expect(await repo.resultVersions.history(raceId)).toHaveLength(1);
    expect(await repo.evaluations.history(first.body.evaluation.predictionId)).toEqual([]);
    expect((await repo.ingestionRuns.byId(same.body.runId))!.counts.results).toMatchObject({ read: 20, unchanged: 20 });

    // Two days on, the stewards' decisions are in (the real recording): version 2.
    stack.clock.set(new Date('2023-07-04T06:00:00Z'));
    const corrected = await post('/results/sync/latest');
    expect(corrected.status).toBe(200);
    // In the corrected classification's order.
    const summary = 'NOR: P6 → P4, points 8 → 12, time +31.377 → +26.327; SAI: P4 → P6, points 12 → 8, time +26.327 → +31.377; ZHO: status Finished → +1 Lap, time +1:29.767 → —, laps 71 → 70';
    expect(corrected.body.result).toEqual({ outcome: 'corrected', version: 2, syncedAt: '2023-07-04T06:00:00.000Z', summary });
    expect(corrected.body.races).toEqual([{ raceId, season: 2023, round: 9, name: 'Austrian Grand Prix', outcome: 'corrected', resultVersion: 2, detail: summary }]);
    expect((await repo.ingestionRuns.byId(corrected.body.runId))!.counts.results).toEqual({ read: 20, inserted: 0, updated: 3, unchanged: 17, quarantined: 0 });

    // The results table holds the correction; version 1 keeps the provisional rows.
    const stored = await repo.reference.results(raceId);
    const [v1, v2] = await repo.resultVersions.history(raceId);
    const codeOf = new Map((await repo.reference.drivers()).map((d) => [d.id, d.code]));
    const order = (rows: { driverId: number; positionOrder: number }[]) => [...rows].sort((a, b) => a.positionOrder - b.positionOrder).map((r) => codeOf.get(r.driverId)).slice(0, 6);
    expect(order(stored)).toEqual(['VER', 'LEC', 'PER', 'NOR', 'ALO', 'SAI']);
    expect(order(v1!.classification)).toEqual(['VER', 'LEC', 'PER', 'SAI', 'ALO', 'NOR']);
    expect(order(v2!.classification)).toEqual(order(stored));
    expect(v2!.changes.find((c) => c.driver === 'ZHO')).toMatchObject({ kind: 'changed', fields: [{ field: 'status', from: 'Finished', to: '+1 Lap' }, { field: 'time', from: '+1:29.767', to: null }, { field: 'laps', from: 71, to: 70 }] });

    // The frozen forecast is scored again, against version 2, and the score moved.
    const prediction = (await repo.predictions.officialForRace(raceId))[0]!;
    const rescored = corrected.body.evaluation;
    expect(rescored).toMatchObject({ id: first.body.evaluation.id, resultVersion: 2 });
    const { evaluatedAt: _at, resultVersion: _v, ...expected } = { ...scorePrediction(prediction, stored), resultVersion: 2 };
    expect(rescored).toMatchObject(expected);
    expect(rescored.spearman).not.toBeCloseTo(first.body.evaluation.spearman, 6);

    // GET /results says the current version, when it was synced, and every version with its changes.
    const results = await get(`/results/${raceId}`);
    expect(results).toMatchObject({ raceId, resultVersion: 2, syncedAt: '2023-07-04T06:00:00.000Z' });
    expect(results.versions.map((v: { version: number; syncedAt: string; summary: string }) => [v.version, v.syncedAt, v.summary])).toEqual([
      [1, '2023-07-02T17:00:00.000Z', 'first classification'],
      [2, '2023-07-04T06:00:00.000Z', summary],
    ]);
    expect(results.versions[1].changes.map((c: { driver: string }) => c.driver)).toEqual(['NOR', 'SAI', 'ZHO']);
    expect(results.results.slice(3, 6).map((r: { code: string }) => r.code)).toEqual(['NOR', 'ALO', 'SAI']);

    // GET /metrics and the season listing say which version the score is against; the old score is kept.
    const metrics = await get(`/metrics/${raceId}`);
    expect(metrics).toMatchObject({ resultVersion: 2, spearman: rescored.spearman });
    expect(metrics.superseded).toHaveLength(1);
    expect(metrics.superseded[0]).toMatchObject({ resultVersion: 1, spearman: first.body.evaluation.spearman, positionMae: first.body.evaluation.positionMae });
    const season = await get('/metrics/season/2023');
    expect(season.races.find((r: { raceId: number }) => r.raceId === raceId).resultVersion).toBe(2);

    // An identical re-sync of the corrected classification: no version 3, no second superseded score.
    const again = await post('/results/sync/2023/9');
    expect(again.body.result).toMatchObject({ outcome: 'unchanged', version: 2 });
    expect(await repo.resultVersions.history(raceId)).toHaveLength(2);
    expect(await repo.evaluations.history(prediction.id)).toHaveLength(1);
  });

  it('a week after the race the re-check has moved on to the next race, and answers 503 while it is not published', async () => {
    // Britain (R10) started on 9 July 14:00 UTC; Austria (2 July) is more than 7 days ago.
    stack.clock.set(new Date('2023-07-09T20:00:00Z'));
    const empty = { MRData: { xmlns: '', series: 'f1', url: 'https://api.jolpi.ca/ergast/f1/2023/10/results.json', limit: '30', offset: '0', total: '0', RaceTable: { season: '2023', round: '10', Races: [] } } };
    replay.inject('/2023/10/results', [{ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(empty) }]);
    const before = replay.requests.length;
    const res = await post('/results/sync/latest');
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const britain = await findRace(stack.app.repo, { year: 2023, race: '10' });
    expect(res.body.error.details.races).toEqual([{ raceId: britain.id, season: 2023, round: 10, name: 'British Grand Prix', outcome: 'not_published', resultVersion: null, detail: expect.stringMatching(/not published/) }]);
    expect(replay.requests.slice(before).every((r) => r.includes('/2023/10/'))).toBe(true);
  });
});
