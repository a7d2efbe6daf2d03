import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { findRace } from '../../shared/lifecycle/predict.js';
import { QualifyingOrderForecaster } from '../../shared/lifecycle/qualifying-order-forecaster.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';
import { HAND_MODEL_VERSION, handForecaster } from '../helpers/hand-model.js';
import { atFreeze, startStack } from './stack.js';

const data = requireData();
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;
const VERSION = HAND_MODEL_VERSION;

describe.skipIf(data.skip)(`reasons, head to head and what-if over the real 2024 season (${backend.name})`, () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let repo: Repository;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let monacoId: number;
  const get = (path: string) => fetch(`${stack.url}${path}`);
  const post = (path: string, body?: unknown) =>
    fetch(`${stack.url}${path}`, { method: 'POST', ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const whatIf = (changes: unknown, race: unknown = 'Monaco') => post('/what-if', { year: 2024, race, changes });

  beforeAll(async () => {
    await setupTensorflow({ prefer: 'cpu' });
    db = await backend.open();
    repo = createRepository(db.knex);
    await loadSeasons(repo, [2023, 2024]);
    stack = await startStack(db, { forecaster: await handForecaster(repo) });
    monacoId = (await findRace(repo, { year: 2024, race: 'Monaco' })).id;
    await atFreeze(stack, 2024, 'Monaco');
    const frozen = await post('/predict?year=2024&race=Monaco');
    expect([frozen.status, frozen.status === 201 ? '' : await frozen.text()]).toEqual([201, '']);
    stack.clock.set(new Date('2025-01-01T00:00:00Z'));
  }, 180_000);
  afterAll(async () => {
    await stack?.server.close();
    await db?.close();
  });

  it('the frozen snapshot carries every entry’s reasons in words and numbers, and the teammates’ head-to-head', async () => {
    const body = await (await get(`/predictions/${monacoId}`)).json();
    expect(body.modelVersion).toBe(VERSION);
    // Each entry: the whole departure from the grid first, then up to 3 reasons.
    for (const e of body.entries) {
      expect(e.reasons[0]).toMatchObject({ feature: 'overall', value: null });
      expect(e.reasons[0].text).toMatch(/^in all: (≈ \d+\.\d places? (better|worse) than|no real effect, as) the grid suggests \(expected position \d+\.\d, against \d+\.\d from the grid slot alone\)$/);
      expect(e.reasons.length).toBeLessThanOrEqual(4);
    }
    const reasons = body.entries.flatMap((e: { reasons: unknown[] }) => e.reasons.slice(1));
    expect(reasons.length).toBeGreaterThan(10);
    // Only what the network reads can be a reason.
    for (const r of reasons) {
      expect(['driverFormPosition', 'constructorFormPoints', 'constructorRaceGain']).toContain(r.feature);
      expect(r.text).toContain(r.label);
      expect(r.text).toMatch(/places? (better|worse) than the grid suggests/);
    }
    expect(body.teammates).toHaveLength(10);
    for (const t of body.teammates) expect(t.pAhead).toBeGreaterThanOrEqual(0);
    // Stored, not recomputed: the row holds them.
    const rows = await db.knex('prediction_entries').where({ prediction_id: body.id }).whereNotNull('reasons');
    expect(rows).toHaveLength(20);
  });

  it('GET /predictions/{raceId}/head-to-head: 200 for a pair (each way summing to 1), 400 for a bad query, 404 for a driver not in the race or a snapshot without odds', async () => {
    const body = await (await get(`/predictions/${monacoId}`)).json();
    const pair = body.teammates.find((t: { a: { code: string } }) => t.a.code === 'LEC' || t.a.code === 'SAI');
    const res = await get(`/predictions/${monacoId}/head-to-head?a=${pair.a.code}&b=${pair.b.code}`);
    expect(res.status).toBe(200);
    const h = await res.json();
    expect(h).toMatchObject({ snapshotId: body.id, modelVersion: VERSION, a: { code: pair.a.code }, b: { code: pair.b.code }, pAAheadOfB: pair.pAhead });
    expect(h.pAAheadOfB + h.pBAheadOfA).toBeCloseTo(1, 9);
    const back = await (await get(`/predictions/${monacoId}/head-to-head?a=${pair.b.driverId}&b=${pair.a.code.toLowerCase()}`)).json();
    expect(back.pAAheadOfB).toBeCloseTo(h.pBAheadOfA, 9);

    const missing = await get(`/predictions/${monacoId}/head-to-head?a=LEC`);
    expect(missing.status).toBe(400);
    expect((await missing.json()).error.message).toMatch(/b is required/);
    expect((await get(`/predictions/${monacoId}/head-to-head?a=LEC&b=LEC`)).status).toBe(400);
    const nobody = await get(`/predictions/${monacoId}/head-to-head?a=LEC&b=XXX`);
    expect(nobody.status).toBe(404);
    expect((await nobody.json()).error.message).toMatch(/"XXX".*LEC/);
    expect((await get('/predictions/999999/head-to-head?a=LEC&b=SAI')).status).toBe(404);

    // A snapshot frozen without head-to-head odds (the baseline samples no orders): 404 saying so.
    const bahrain = await findRace(repo, { year: 2024, race: 'Bahrain' });
    const at = freezeWindow(bahrain, { kind: 'post_qualifying' }).allowedAt;
    const f = await new QualifyingOrderForecaster(repo).forecast(bahrain.id, at);
    const { prediction } = await repo.withTransaction((trx) => trx.predictions.freeze({
      raceId: bahrain.id, modelVersion: f.modelVersion, kind: 'forecast', clock: 'simulated', createdAt: at, freezePolicy: { kind: 'post_qualifying' }, snapshotAt: at,
      sessionType: 'qualifying', inputsHash: 'c'.repeat(64), confidence: 0.5, featureCoverage: 1, imputedCount: 0, warnings: [],
      entries: f.drivers.map((d) => ({ ...d, gapFlagged: false, strategy: null, reasons: null })),
    }));
    const old = await get(`/predictions/${bahrain.id}/head-to-head?a=VER&b=PER&snapshot=${prediction.id}`);
    expect(old.status).toBe(404);
    expect((await old.json()).error.message).toMatch(/frozen before/);
    expect((await get(`/predictions/${monacoId}/head-to-head?a=VER&b=PER&snapshot=${prediction.id}`)).status).toBe(404);
  });

  it('POST /what-if: a penalty on the pole sitter lowers his P(win), a pit-lane start his median position; by the snapshot’s model; nothing stored', async () => {
    const before = await repo.predictions.count();
    const body0 = await (await get(`/predictions/${monacoId}`)).json();
    const quali = await repo.reference.qualifying(monacoId);
    const pole = quali.find((q) => q.position === 1)!;
    const code = (await repo.predictions.names([pole.driverId], [])).drivers.get(pole.driverId)!.code!;
    const verSlot = quali.find((q) => q.driverId === (body0.entries as { code: string; driverId: number }[]).find((e) => e.code === 'VER')!.driverId)!.position;
    const res = await whatIf([{ driver: code, gridPenalty: 10 }, { driver: 'VER', pitLane: true }]);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ modelVersion: VERSION, modelSource: 'official snapshot', stored: false, race: { id: monacoId } });
    expect(body.changes).toEqual([`${code}: 10-place grid penalty`, 'VER: starts from the pit lane']);
    const poleSitter = body.entries.find((e: { code: string }) => e.code === code);
    // Ten places back, one fewer when the pit-lane starter qualified ahead of that slot (he leaves the grid).
    expect(poleSitter).toMatchObject({ grid: verSlot <= 11 ? 10 : 11, gridBefore: 1 });
    expect(poleSitter.change.pWin).toBeLessThan(0);
    const ver = body.entries.find((e: { code: string }) => e.code === 'VER');
    expect(ver.grid).toBe(20);
    expect(ver.change.medianPosition).toBeGreaterThan(0);
    // The new pole sitter gains.
    expect(body.entries.find((e: { grid: number }) => e.grid === 1).change.pWin).toBeGreaterThan(0);
    expect(await repo.predictions.count()).toBe(before);
  });

  it('the unchanged forecast is computed the same way: a change that changes nothing moves nothing, and equals the snapshot', async () => {
    const snapshot = await (await get(`/predictions/${monacoId}`)).json();
    const pole = (await repo.reference.qualifying(monacoId)).find((q) => q.position === 1)!;
    const body = await (await whatIf([{ driver: pole.driverId, grid: 1 }])).json();
    for (const e of body.entries) expect(Object.values(e.change).every((v) => v === 0)).toBe(true);
    const frozen = new Map(snapshot.entries.map((e: { driverId: number; pWin: number }) => [e.driverId, e.pWin]));
    for (const e of body.entries) expect(e.pWin).toBeCloseTo(frozen.get(e.driverId) as number, 12);
  });

  it('a replacement takes the seat and the slot, with his own history', async () => {
    const body = await (await whatIf([{ driver: 'SAR', replacedBy: 'BEA' }])).json();
    const bea = body.entries.find((e: { code: string }) => e.code === 'BEA');
    const sarSlot = (await repo.reference.qualifying(monacoId)).find((q) => q.driverId === bea.replaces.driverId)!.position;
    expect(bea).toMatchObject({ replaces: { code: 'SAR' }, grid: sarSlot, gridBefore: sarSlot, team: 'Williams' });
    expect(body.entries.some((e: { code: string }) => e.code === 'SAR')).toBe(false);
    expect(body.entries).toHaveLength(20);
  });

  it('refuses what it cannot do: 400 for a bad change, 404 for an unknown race or driver, 409 without an entry list', async () => {
    const cases: [unknown, number, RegExp][] = [
      [[], 400, /changes/],
      [[{ driver: 'VER', gridPenalty: 3, pitLane: true }], 400, /exactly one of gridPenalty, pitLane, grid, replacedBy/],
      [[{ driver: 'VER', penalty: 3 }], 400, /penalty/],
      [[{ driver: 'VER', gridPenalty: 0 }], 400, /gridPenalty/],
      [[{ driver: 'VER', gridPenalty: 3 }, { driver: 'VER', pitLane: true }], 400, /one change per driver/],
      [[{ driver: 'VER', replacedBy: 'LEC' }], 400, /already has a seat/],
      [[{ driver: 'ZZZ', pitLane: true }], 404, /"ZZZ".*VER/],
      [[{ driver: 'VER', replacedBy: 'NOBODY' }], 404, /NOBODY/],
    ];
    for (const [changes, status, message] of cases) {
      const res = await whatIf(changes);
      expect([JSON.stringify(changes), res.status]).toEqual([JSON.stringify(changes), status]);
      expect((await res.json()).error.message).toMatch(message);
    }
    // The body's fields say what they take; a body that is not JSON points at this route's documented body.
    const noRace = await post('/what-if', { year: 2024, changes: [{ driver: 'VER', pitLane: true }] });
    expect([noRace.status, (await noRace.json()).error.message]).toEqual([400, expect.stringMatching(/^race is required: give a round number .* or a race or circuit name/)]);
    expect((await (await whatIf([{ driver: 'VER', pitLane: true }], 40)).json()).error.message).toMatch(/^race must be a round number \(1 to 30\)/);
    expect((await (await post('/what-if', { year: 2024, race: 'Monaco' })).json()).error.message).toMatch(/^changes is required: a list of 1 to 30 changes, e\.g\. \[\{"driver"/);
    expect((await (await whatIf([{ driver: {}, pitLane: true }])).json()).error.message).toMatch(/^changes\.0\.driver: expected a driver id or code/);
    const malformed = await fetch(`${stack.url}/what-if`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"year": 2024,' });
    expect(malformed.status).toBe(400);
    const advice = (await malformed.json()).error.message;
    expect(advice).toBe('the request body is not valid JSON: send a JSON object as documented at GET /openapi.json for POST /what-if');
    expect((await whatIf([{ driver: 'VER', pitLane: true }], 'Atlantis')).status).toBe(404);
    const text = await fetch(`${stack.url}/what-if`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(text.status).toBe(415);
    const abuDhabi = await findRace(repo, { year: 2024, race: 'Abu Dhabi' });
    await db.knex('qualifying').where({ race_id: abuDhabi.id }).del();
    const none = await whatIf([{ driver: 'VER', pitLane: true }], 'Abu Dhabi');
    expect(none.status).toBe(409);
    expect((await none.json()).error.message).toMatch(/no qualifying classification/);
  });

  it('POST /what-if under a flood: one computes, a few wait, the rest get 503 with Retry-After at once', async () => {
    const flood = await Promise.all(Array.from({ length: 12 }, () => whatIf([{ driver: 'VER', gridPenalty: 3 }])));
    const statuses = flood.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    const refused = flood.filter((r) => r.status === 503);
    expect(refused.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    for (const r of refused) {
      expect(r.headers.get('retry-after')).toBe('2');
      expect((await r.json()).error.message).toMatch(/other what-if forecasts are computing/);
    }
  });
});
