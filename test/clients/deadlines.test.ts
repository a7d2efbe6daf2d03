import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../shared/clients/http-client.js';
import { createJolpicaClient } from '../../shared/clients/jolpica.js';
import { jolpicaLimits, Pacer } from '../../shared/clients/pacer.js';
import { ConfigError, parseConfig } from '../../shared/config/config.js';
import { UpstreamDeadlineError, UpstreamIncompleteError } from '../../shared/errors.js';
import { startFakeJolpica, type FakeJolpica } from '../hostile/fake-jolpica.js';
import { virtualClock } from './virtual-clock.js';

/** The waits the client may take (pacing, Retry-After) and the pages it may ask for are bounded by the caller, not the upstream. */
describe('deadlines and page bounds', () => {
  let fake: FakeJolpica;
  beforeAll(async () => {
    fake = await startFakeJolpica();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  it('an hourly budget spent by other processes fails a call with a deadline at once, instead of waiting for tokens', async () => {
    const clock = virtualClock();
    // The ledger's history: 520 requests in the last two minutes (another process's loop at 4/s).
    const history = Array.from({ length: 520 }, (_, i) => clock.now().getTime() - 130_000 + i * 250);
    const pacer = new Pacer(jolpicaLimits, clock, history);
    const err = await pacer.acquire(clock.now().getTime() + 10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamDeadlineError);
    expect((err as Error).message).toMatch(/the request budget allows the next request in \d+ s, after the deadline/);
    expect(clock.sleeps).toEqual([]);
    // Without a deadline the same pacer waits for a token, past those 10 s.
    await pacer.acquire();
    expect(clock.elapsed()).toBeGreaterThan(10_000);
  });

  it('a Retry-After that would end past the deadline fails now, after one request, without sleeping', async () => {
    fake.answer = () => ({ status: 503, headers: { 'retry-after': '30' }, body: '{}' });
    const clock = virtualClock();
    const http = createHttpClient({ limits: jolpicaLimits, clock, random: () => 0.5 });
    const err = await http.getJson(`${fake.baseUrl}/x.json`, (b) => b, { deadlineAt: clock.now().getTime() + 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamDeadlineError);
    expect((err as Error).message).toMatch(/deadline passed before a retry in 30 s after 1 attempt \(last: HTTP 503/);
    expect(fake.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('a total that keeps growing stops at ceil(total / limit) + 1 pages of the first answer', async () => {
    const drivers = (n: number) => Array.from({ length: n }, (_, i) => ({ driverId: `d${i}`, givenName: 'A', familyName: 'B' }));
    // Each page claims 30 more than the last, so "one more page" never ends by itself.
    fake.answer = (r) => ({
      body: JSON.stringify({ MRData: { limit: '30', offset: String(r.offset), total: String(r.offset + 60), DriverTable: { Drivers: drivers(30) } } }),
    });
    const clock = virtualClock();
    const client = createJolpicaClient({ http: createHttpClient({ limits: jolpicaLimits, clock }), baseUrl: fake.baseUrl, pageSize: 30, now: () => clock.now().getTime() });
    const err = await client.drivers(2023).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamIncompleteError);
    expect((err as Error).message).toMatch(/still not at MRData\.total after 3 pages \(at most 3 expected\)/);
    expect(fake.requests.map((r) => r.offset)).toEqual([0, 30, 60]);
  });

  it('a listing needing more than maxPages requests is refused after its first page', async () => {
    fake.answer = (r) => ({ body: JSON.stringify({ MRData: { limit: '30', offset: String(r.offset), total: '3000', DriverTable: { Drivers: [] } } }) });
    const clock = virtualClock();
    const client = createJolpicaClient({ http: createHttpClient({ limits: jolpicaLimits, clock }), baseUrl: fake.baseUrl, pageSize: 30, maxPages: 50, now: () => clock.now().getTime() });
    // An empty page short of total is refused as incomplete; a full one as too many pages.
    await expect(client.drivers(2023)).rejects.toThrow(/sent 0 items but its MRData\.total is 3000/);
    fake.answer = (r) => ({
      body: JSON.stringify({ MRData: { limit: '30', offset: String(r.offset), total: '3000', DriverTable: { Drivers: [{ driverId: 'x', givenName: 'A', familyName: 'B' }] } } }),
    });
    fake.requests.length = 0;
    await expect(client.drivers(2023)).rejects.toThrow(/total 3000 with limit 30 needs 100 requests, more than the 50 allowed per listing/);
    expect(fake.requests).toHaveLength(1);
  });

  it('a per-call deadline covers every page of a listing', async () => {
    const result = (n: number) => ({
      number: String(n), positionText: String(n), points: '0', laps: '71', status: 'Finished',
      Driver: { driverId: `d${n}`, givenName: 'A', familyName: 'B' }, Constructor: { constructorId: 'c', name: 'C' },
    });
    const race = (n: number) => ({ season: '2023', round: '9', raceName: 'Austrian Grand Prix', date: '2023-07-02', Circuit: { circuitId: 'red_bull_ring', circuitName: 'Red Bull Ring', Location: {} }, Results: [result(n)] });
    // Every page answers in 150 ms: 20 of them would take 3 s.
    fake.answer = (r) => ({ delayMs: 150, body: JSON.stringify({ MRData: { limit: '1', offset: String(r.offset), total: '20', RaceTable: { Races: [race(r.offset)] } } }) });
    const client = createJolpicaClient({ http: createHttpClient({ limits: [{ capacity: 100, perSecond: 100 }] }), baseUrl: fake.baseUrl, pageSize: 1 });
    const started = Date.now();
    const err = await client.results({ season: 2023 }, { withinMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamDeadlineError);
    expect(Date.now() - started).toBeLessThan(900);
    expect(fake.requests.length).toBeLessThanOrEqual(4);
  });

  it('a sync deadline that would not end inside the function timeout is a configuration error', () => {
    expect(() => parseConfig({ SYNC_DEADLINE_MS: '400000' })).toThrow(ConfigError);
    expect(() => parseConfig({ SYNC_DEADLINE_MS: '400000' })).toThrow(/SYNC_DEADLINE_MS: must end inside the sync function's 300 s timeout/);
    expect(parseConfig({ SYNC_DEADLINE_MS: '2000', UPSTREAM_REQUEST_TIMEOUT_MS: '500', UPSTREAM_MAX_BODY_BYTES: '1000', JOLPICA_MAX_PAGES: '7' }).upstream).toEqual({
      syncDeadlineMs: 2000, requestTimeoutMs: 500, maxBodyBytes: 1000, jolpicaMaxPages: 7,
    });
  });
});
