import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRepository } from '../../shared/repository/index.js';
import { findRace } from '../../shared/lifecycle/predict.js';
import { backends } from '../helpers/databases.js';
import { dataDir, requireData } from '../helpers/settings.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { atFreeze, startStack } from '../api/stack.js';
import { recordedResultsPage, resultsOf, startFakeJolpica, type FakeJolpica } from './fake-jolpica.js';

/**
 * A faulty or hostile Jolpica behind POST /results/sync/2023/9 (issue 13): every answer
 * that is not the whole classification of that race stores nothing, is a clear 502 (never a
 * 503 the scheduler would retry forever, never a 500), ends before the deadline, spends a
 * handful of requests, and leaves a failed 'results-sync' run with the refused rows.
 */

const data = requireData();
const postgres = backends.find((b) => b.name === 'postgres')!;
const REQUEST_TIMEOUT_MS = 300;
const DEADLINE_MS = 1500;
const BODY_CAP = 1024 * 1024;

describe.skipIf(data.skip || postgres.skip)('result sync against a hostile Jolpica (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof postgres.open>>;
  let fake: FakeJolpica;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let raceId: number;
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-hostile-'));

  beforeAll(async () => {
    fake = await startFakeJolpica();
    db = await postgres.open();
    await loadSeasons(createRepository(db.knex), [2023], { withResults: false });
    stack = await startStack(db, {
      env: {
        RESULTS_SOURCE: 'jolpica', JOLPICA_BASE_URL: fake.baseUrl, JOLPICA_PAGE_SIZE: '30', HTTP_CACHE_DIR: cacheDir,
        UPSTREAM_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), SYNC_DEADLINE_MS: String(DEADLINE_MS), UPSTREAM_MAX_BODY_BYTES: String(BODY_CAP),
      },
    });
    raceId = (await findRace(stack.app.repo, { year: 2023, race: '9' })).id;
    // A frozen forecast, so a wrongly stored classification would also be scored.
    await atFreeze(stack, 2023, '9');
    expect((await fetch(`${stack.url}/predict?year=2023&race=9`, { method: 'POST' })).status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await stack?.server.close();
    await fake?.close();
    await db?.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    fake.requests.length = 0;
    fake.bytesWritten = 0;
    // Every test starts from the race without a classification (and so without a score):
    // the one that stores it must not turn the refusals' "nothing stored" into a leftover.
    await db.knex('evaluations').where({ race_id: raceId }).delete();
    await db.knex('results').where({ race_id: raceId }).delete();
  });

  const count = async (sql: string, params: unknown[] = [raceId]) => Number((await db.knex.raw(sql, params as never)).rows[0].n);
  const sync = async () => {
    const started = Date.now();
    const res = await fetch(`${stack.url}/results/sync/2023/9`, { method: 'POST' });
    const body = (await res.json()) as { error: { code: string; message: string } };
    return { res, body, ms: Date.now() - started };
  };
  /** Nothing stored, nothing scored, and the newest run is this sync's failure. */
  const expectRefused = async (reason: RegExp) => {
    expect(await count('SELECT count(*) AS n FROM results WHERE race_id = ?')).toBe(0);
    expect(await count('SELECT count(*) AS n FROM evaluations WHERE race_id = ?')).toBe(0);
    const [run] = await stack.app.repo.ingestionRuns.latest(1);
    expect(run).toMatchObject({ source: 'results-sync', status: 'failed', parameters: { season: 2023, round: 9, raceId } });
    expect(run!.error).toMatch(reason);
    return { run: run!, quarantined: await stack.app.repo.ingestionRuns.quarantined(run!.id) };
  };
  const page = (edit: (p: ReturnType<typeof recordedResultsPage>) => void = () => {}) => {
    const p = recordedResultsPage(dataDir);
    edit(p);
    return JSON.stringify(p);
  };

  it("refuses a classification that drops a driver's field (19 of 20 valid)", async () => {
    fake.answer = () => ({ body: page((p) => delete (resultsOf(p)[4]!.Driver as Record<string, unknown>).familyName) });
    const { res, body } = await sync();
    expect(res.status).toBe(502);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(body.error.code).toBe('upstream_incomplete');
    expect(body.error.message).toMatch(/1 of 20 rows that do not validate.*familyName.*nothing stored/);
    const { quarantined, run } = await expectRefused(/upstream_incomplete/);
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]).toMatchObject({ source: 'results-sync', tableName: 'results' });
    expect(quarantined[0]!.reason).toMatch(/Results: Driver\.familyName/);
    expect(run.counts.results).toMatchObject({ read: 20, quarantined: 1, inserted: 0 });
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses a classification with wrong types (18 of 20 valid)', async () => {
    fake.answer = () => ({
      body: page((p) => {
        resultsOf(p)[2]!.laps = 71; // a number where Ergast sends a string
        resultsOf(p)[9]!.points = 'lots';
      }),
    });
    const { res, body } = await sync();
    expect(res.status).toBe(502);
    expect(body.error.message).toMatch(/2 of 20 rows that do not validate/);
    const { quarantined } = await expectRefused(/2 of 20/);
    expect(quarantined.map((q) => q.reason)).toEqual([expect.stringMatching(/laps: .*string/i), expect.stringMatching(/points: must be a numeric string/)]);
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses fewer rows than the upstream’s own total', async () => {
    fake.answer = () => ({ body: page((p) => resultsOf(p).pop()) });
    const { res, body } = await sync();
    expect(res.status).toBe(502);
    expect(body.error).toMatchObject({ code: 'upstream_incomplete', message: expect.stringMatching(/sent 19 items but its MRData\.total is 20/) });
    await expectRefused(/19 items/);
    expect(fake.requests).toHaveLength(1);
  });

  it('refuses a page with a duplicated row (a 502, not a 500)', async () => {
    fake.answer = () => ({
      body: page((p) => {
        resultsOf(p).push(structuredClone(resultsOf(p)[0]!));
        p.MRData.total = '21';
      }),
    });
    const { res, body } = await sync();
    expect(res.status).toBe(502);
    expect(body.error.message).toMatch(/max_verstappen \(car 1\) appears twice/);
    const { quarantined } = await expectRefused(/appears twice/);
    expect(quarantined).toHaveLength(1);
  });

  it('refuses an answer for another round: a 502, not a 503 the scheduler retries', async () => {
    fake.answer = () => ({ body: page((p) => (p.MRData.RaceTable.Races[0]!.round = '10')) });
    const { res, body } = await sync();
    expect(res.status).toBe(502);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(body.error.message).toMatch(/asked for the results of 2023 R9, the upstream answered with 2023 R10/);
    await expectRefused(/2023 R10/);
  });

  it('refuses an answer for another season', async () => {
    fake.answer = () => ({ body: page((p) => (p.MRData.RaceTable.Races[0]!.season = '2022')) });
    const { res, body } = await sync();
    expect(res.status).toBe(502);
    expect(body.error.message).toMatch(/answered with 2022 R9/);
  });

  it('still answers 503 + Retry-After while the race is not published (an empty table)', async () => {
    fake.answer = () => ({ body: page((p) => { p.MRData.total = '0'; p.MRData.RaceTable.Races = []; }) });
    const runs = await count('SELECT count(*) AS n FROM ingestion_runs', []);
    const { res } = await sync();
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await count('SELECT count(*) AS n FROM ingestion_runs', [])).toBe(runs); // no run: nothing was refused
  });

  it('stops an upstream that echoes offset 0 forever after two requests', async () => {
    fake.answer = () => ({ body: page((p) => (p.MRData.total = '100')) });
    const { res, body, ms } = await sync();
    expect(res.status).toBe(502);
    expect(body.error.message).toMatch(/asked for offset 30, the upstream answered offset 0: its pages do not advance/);
    expect(fake.requests.map((r) => r.offset)).toEqual([0, 30]);
    expect(ms).toBeLessThan(DEADLINE_MS);
    await expectRefused(/do not advance/);
  });

  it('refuses total 100,000 with limit 1 after the first page, without spending the budget', async () => {
    fake.answer = (r) => ({
      body: page((p) => {
        Object.assign(p.MRData, { total: '100000', limit: '1', offset: String(r.offset) });
        p.MRData.RaceTable.Races[0]!.Results = resultsOf(p).slice(0, 1);
      }),
    });
    const { res, body } = await sync();
    expect(res.status).toBe(502);
    expect(body.error.message).toMatch(/total 100000 with limit 1 needs 100000 requests, more than the 100 allowed/);
    expect(fake.requests).toHaveLength(1);
    await expectRefused(/100000 requests/);
  });

  it('ends a slow upstream answering slow 429s at the sync deadline', async () => {
    fake.answer = () => ({ status: 429, headers: { 'retry-after': '1' }, body: '{"detail":"slow down"}', delayMs: 250 });
    const { res, body, ms } = await sync();
    expect(res.status).toBe(502);
    expect(body.error.code).toBe('upstream_deadline');
    expect(body.error.message).toMatch(/deadline passed .* \(last: HTTP 429/);
    expect(ms).toBeLessThan(DEADLINE_MS + 700);
    expect(fake.requests.length).toBeLessThanOrEqual(2);
    await expectRefused(/upstream_deadline/);
  });

  it('times out each request of an upstream that never answers, and the whole sync at its deadline', async () => {
    fake.answer = () => ({ hang: true });
    const { res, body, ms } = await sync();
    expect(res.status).toBe(502);
    expect(body.error.code).toBe('upstream_deadline');
    expect(body.error.message).toMatch(/no complete answer within \d+ ms/);
    expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS);
    expect(ms).toBeLessThan(DEADLINE_MS + 700);
    expect(fake.requests.length).toBeGreaterThanOrEqual(2); // each timed-out attempt retried, until the deadline
    expect(fake.requests.length).toBeLessThanOrEqual(5);
  });

  it('abandons a 200 MB body at the cap instead of buffering it', async () => {
    fake.answer = () => ({ stream: { chunkBytes: 64 * 1024, chunks: 3200 } }); // 200 MiB, no content-length
    const { res, body } = await sync();
    expect(res.status).toBe(502);
    expect(body.error).toMatchObject({ code: 'upstream_too_large', message: expect.stringMatching(/more than the 1048576 bytes allowed/) });
    expect(fake.bytesWritten).toBeLessThan(20 * BODY_CAP);
    expect(fake.requests).toHaveLength(1); // not retried
    await expectRefused(/upstream_too_large/);
  });

  it('refuses a declared 200 MB body from its headers', async () => {
    fake.answer = () => ({ stream: { chunkBytes: 64 * 1024, chunks: 3200, declare: true } });
    const { res, body } = await sync();
    expect(res.status).toBe(502);
    expect(body.error.message).toMatch(/a body of 209715200 bytes, more than the 1048576 bytes allowed/);
    expect(fake.bytesWritten).toBeLessThan(20 * BODY_CAP);
  });

  it('stores the whole classification when the upstream sends it whole', async () => {
    fake.answer = () => ({ body: page() });
    const { res } = await sync();
    expect(res.status).toBe(200);
    expect(await count('SELECT count(*) AS n FROM results WHERE race_id = ?')).toBe(20);
    expect(await count('SELECT count(*) AS n FROM evaluations WHERE race_id = ?')).toBe(1);
  });
});
