import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';
import { startStack } from './stack.js';

const data = requireData();
// One backend is enough: these are the HTTP edge's messages, not the database's.
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;

/**
 * Every refusal a new user met, over HTTP: a 4xx JSON body whose message says what is wrong
 * and what to send instead, with no stack trace or file path anywhere in it.
 */
describe.skipIf(data.skip)('errors a person can act on', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let monacoId: number;

  beforeAll(async () => {
    db = await backend.open();
    const repo = createRepository(db.knex);
    await loadSeasons(repo, [2024], { withResults: false });
    monacoId = (await repo.races.bySeasonRound(2024, 8))!.id;
    stack = await startStack(db, { now: new Date('2024-01-10T00:00:00Z') });
  }, 120_000);
  afterAll(async () => {
    await stack?.server.close();
    await db?.close();
  });

  const call = async (method: string, path: string, init: RequestInit = {}) => {
    const res = await fetch(`${stack.url}${path}`, { method, ...init });
    const text = await res.text();
    expect(res.headers.get('content-type'), `${method} ${path}`).toMatch(/application\/json/);
    expect(text, `${method} ${path}`).not.toMatch(/node_modules|\/work\/|\.ts:\d+|\.js:\d+|<html|<pre/i);
    return { status: res.status, message: (JSON.parse(text) as { error: { message: string } }).error.message };
  };

  it.each([
    ['GET', '/races', 400, 'season is required, e.g. ?season=2024'],
    ['GET', '/standings', 400, 'season is required, e.g. ?season=2024'],
    ['GET', '/drivers', 400, 'season is required, e.g. ?season=2024'],
    ['GET', '/races?season=2024&season=2023', 400, 'season was given 2 times; give it once'],
    ['GET', '/races?season=abc', 400, 'season must be a whole number from 1950 to 2100, e.g. ?season=2024; got "abc"'],
    ['GET', '/predictions/99999999999999999999999', 400, 'raceId must be a whole number from 1 to 2147483647, e.g. /predictions/1121; got "99999999999999999999999"'],
    ['GET', '/races?season=2030', 404, 'season 2030 not found: only season 2024 is loaded'],
    ['GET', '/predictions/999999', 404, 'race 999999 not found: race ids are listed by GET /races?season=YYYY'],
    ['POST', '/predict?year=1990&race=1', 400, 'pitwall forecasts races from 2014 on (its models and their backtest start there); 1990 is earlier'],
    ['POST', '/predict?year=2024', 400, 'race is required (a round number or a race name, at most 80 characters), e.g. ?year=2024&race=monaco'],
    ['POST', '/predict?year=2024&race=Monaco&race=Spain', 400, 'race was given 2 times; give it once'],
    ['POST', '/results/sync/latest', 404, 'finished race latest not found: no race of 2023 or later started before 2024-01-09T22:00:00.000Z (two hours ago) in the stored calendar; sync a past race by name: POST /results/sync/{year}/{race}'],
  ])('%s %s → %i', async (method, path, status, message) => {
    expect(await call(method, path)).toEqual({ status, message });
  });

  it('a body that is not JSON gets a JSON 400, not the framework page', async () => {
    const out = await call('POST', '/predict?year=2024&race=Monaco', { headers: { 'Content-Type': 'application/json' }, body: '{"year": 2024,' });
    expect(out.status).toBe(400);
    expect(out.message).toMatch(/^the request body is not valid JSON/);
    // This route takes no body: the advice says so (a route with a body names its schema instead).
    expect(out.message).toMatch(/or no body at all/);
  });

  it('a malformed %-escape in the path is the caller’s error', async () => {
    expect(await call('GET', '/predictions/%E0%A4%A')).toMatchObject({ status: 400 });
  });

  it('a race with no forecast says when one can be frozen', async () => {
    expect(await call('GET', `/predictions/${monacoId}`)).toEqual({
      status: 404,
      message: `official forecast of race ${monacoId} not found: the post_qualifying forecast of Monaco Grand Prix 2024 can be frozen from 2024-05-25T15:30:00.000Z`,
    });
  });
});

describe.skipIf(data.skip)('the favicon', () => {
  it('is served, though functions-framework ignores /favicon.ico by default', async () => {
    const db = await backend.open();
    const stack = await startStack(db);
    try {
      const res = await fetch(`${stack.url}/favicon.ico`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/image\/svg\+xml/);
      expect(await res.text()).toMatch(/^<svg/);
    } finally {
      await stack.server.close();
      await db.close();
    }
  });
});

describe.skipIf(data.skip)('the pit view of a race without lap data', () => {
  it('says what is missing and how to load it', async () => {
    const db = await backend.open();
    await loadSeasons(createRepository(db.knex), [2024], { withResults: false });
    const stack = await startStack(db);
    try {
      const bahrain = (await stack.app.repo.races.bySeasonRound(2024, 1))!;
      const res = await fetch(`${stack.url}/pits/${bahrain.id}?lap=10`);
      expect(res.status).toBe(404);
      expect((await res.json()).error.message).toBe(
        `lap data of race ${bahrain.id} not found: Bahrain Grand Prix 2024: no lap-by-lap data is stored for it; load lap files with npx pitwall ingest --laps <dir>`,
      );
    } finally {
      await stack.server.close();
      await db.close();
    }
  });
});
