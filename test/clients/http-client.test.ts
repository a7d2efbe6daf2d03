import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, parseRetryAfter } from '../../shared/clients/http-client.js';
import { createJolpicaClient } from '../../shared/clients/jolpica.js';
import { jolpicaLimits, Pacer } from '../../shared/clients/pacer.js';
import { createRequestLedger } from '../../shared/clients/request-ledger.js';
import { createResponseCache } from '../../shared/clients/response-cache.js';
import { UpstreamError } from '../../shared/errors.js';
import { fetchRaceResults } from '../../shared/ingest/api/fetch-race-results.js';
import { dataDir, requireData } from '../helpers/settings.js';
import { startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { virtualClock } from './virtual-clock.js';

const data = requireData();
const replayDir = path.join(dataDir, 'api-replay');

describe.skipIf(data.skip)('HTTP client against the replay server', () => {
  let server: ReplayServer;
  let tmp: string;
  beforeAll(async () => {
    server = await startReplayServer(replayDir);
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-http-'));
  });
  afterAll(async () => {
    await server.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });
  afterEach(() => {
    server.requests.length = 0;
  });

  const jolpica = (opts: { pageSize?: number; cacheDir?: string; maxAttempts?: number } = {}) => {
    const clock = virtualClock();
    const http = createHttpClient({
      limits: jolpicaLimits,
      clock,
      random: () => 0.5,
      ...(opts.cacheDir ? { cache: createResponseCache(opts.cacheDir) } : {}),
      ...(opts.maxAttempts ? { maxAttempts: opts.maxAttempts } : {}),
    });
    return { clock, http, client: createJolpicaClient({ http, baseUrl: server.jolpicaBaseUrl, pageSize: opts.pageSize ?? 30 }) };
  };
  const recordedTotal = (key: string) => Number((JSON.parse(server.recordings.get(key)!.body) as { MRData: { total: string } }).MRData.total);

  it('follows limit/offset until MRData.total: 2021 R5 laps in 15 pages of 100', async () => {
    const { client } = jolpica({ pageSize: 100 });
    const races = await client.laps(2021, 5);
    const pages = server.requests.filter((r) => r.startsWith('/ergast/f1/2021/5/laps.json'));
    const total = recordedTotal('/ergast/f1/2021/5/laps.json?limit=100&offset=0');
    expect(pages).toHaveLength(Math.ceil(total / 100));
    expect(new Set(pages).size).toBe(pages.length);
    expect(races).toHaveLength(1);
    const laps = races[0]!.Laps!;
    expect(laps.reduce((n, l) => n + l.Timings.length, 0)).toBe(total);
    // A lap split across two pages is merged back: lap numbers are unique, no driver twice in a lap.
    expect(new Set(laps.map((l) => l.number)).size).toBe(laps.length);
    for (const lap of laps) expect(new Set(lap.Timings.map((t) => t.driverId)).size).toBe(lap.Timings.length);
  });

  it('parses every recorded Jolpica response (vcr cassettes, limit=40) with counts equal to MRData.total', async () => {
    const { client } = jolpica({ pageSize: 40 });
    const items = (races: { Results?: unknown[]; SprintResults?: unknown[]; QualifyingResults?: unknown[] }[], list: 'Results' | 'SprintResults' | 'QualifyingResults') =>
      races.reduce((n, r) => n + (r[list]?.length ?? 0), 0);
    const total = (p: string) => recordedTotal(`/ergast/f1/${p}.json?limit=40&offset=0`);
    for (const season of [1999, 2018, 2025]) expect(await client.schedule(season)).toHaveLength(total(`${season}`));
    for (const [season, round] of [[2003, 1], [2025, 1], [2021, 12]] as const) {
      expect(items(await client.results({ season, round }), 'Results')).toBe(total(`${season}/${round}/results`));
    }
    for (const [season, round] of [[2004, 1], [2015, 16]] as const) {
      expect(items(await client.qualifying({ season, round }), 'QualifyingResults')).toBe(total(`${season}/${round}/qualifying`));
    }
    expect(items(await client.sprint({ season: 2025, round: 2 }), 'SprintResults')).toBe(total('2025/2/sprint'));
    expect(await client.drivers(1999)).toHaveLength(total('1999/drivers'));
    expect(await client.circuits(2021)).toHaveLength(total('2021/circuits'));
    // The 2025 schedule has sprint weekends with sprint sessions.
    expect((await client.schedule(2025)).filter((r) => r.Sprint).length).toBeGreaterThan(0);
  });

  it('fails clearly when a page of the pagination is missing upstream', async () => {
    // Only the first 30 of 36 pit stops of 2023 R18 were recorded: the offset=30 page is a 404.
    const { client } = jolpica();
    const err = await client.pitStops(2023, 18).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(404);
    expect((err as Error).message).toContain('offset=30');
  });

  it('handles an empty sprint (total 0) as an empty list and does not cache it', async () => {
    const cacheDir = path.join(tmp, 'empty');
    const { client } = jolpica({ pageSize: 40, cacheDir });
    expect(await client.sprint({ season: 2021, round: 11 })).toEqual([]);
    expect(await client.sprint({ season: 2021, round: 11 })).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it('waits for Retry-After (seconds) on 429, then succeeds', async () => {
    const { client, clock } = jolpica();
    server.inject('/2023/9/results', [{ status: 429, headers: { 'retry-after': '7' } }]);
    const races = await client.results({ season: 2023, round: 9 });
    expect(races[0]!.Results).toHaveLength(recordedTotal('/ergast/f1/2023/9/results.json?limit=30&offset=0'));
    expect(server.requests).toHaveLength(2);
    expect(clock.sleeps).toContain(7000);
  });

  it('fails at once when Retry-After asks for longer than the longest allowed wait', async () => {
    const { client, clock } = jolpica();
    server.inject('/2023/9/results', [{ status: 429, headers: { 'retry-after': '3600' } }]);
    const err = await client.results({ season: 2023, round: 9 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(429);
    expect((err as Error).message).toMatch(/Retry-After 3600 s/);
    expect(clock.elapsed()).toBeLessThan(1000);
  });

  it('waits for Retry-After given as an HTTP date', async () => {
    const { client, clock } = jolpica();
    const at = new Date(clock.now().getTime() + 12_000).toUTCString();
    server.inject('/2023/9/results', [{ status: 429, headers: { 'retry-after': at } }]);
    await client.results({ season: 2023, round: 9 });
    expect(clock.elapsed()).toBeGreaterThanOrEqual(11_000);
    expect(parseRetryAfter(at, clock.now().getTime() - 12_000)).toBeLessThanOrEqual(12_000);
  });

  it('retries 5xx and network errors with growing backoff, then succeeds', async () => {
    const { client, clock } = jolpica();
    server.inject('/2023/drivers', [{ status: 502 }, { status: 0, drop: true }, { status: 503 }]);
    const drivers = await client.drivers(2023);
    expect(drivers).toHaveLength(recordedTotal('/ergast/f1/2023/drivers.json?limit=30&offset=0'));
    expect(server.requests).toHaveLength(4);
    // random() = 0.5 → backoff 250, 500, 1000 ms: exponential.
    expect(clock.sleeps.filter((s) => s >= 250)).toEqual([250, 500, 1000]);
  });

  it('retries a connection lost in the middle of the body', async () => {
    const { client } = jolpica();
    server.inject('/2023/drivers', [{ status: 200, truncate: true, body: server.recordings.get('/ergast/f1/2023/drivers.json?limit=30&offset=0')!.body }]);
    expect(await client.drivers(2023)).toHaveLength(recordedTotal('/ergast/f1/2023/drivers.json?limit=30&offset=0'));
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after the attempt cap with an UpstreamError carrying the status', async () => {
    const { client } = jolpica({ maxAttempts: 3 });
    server.inject('/2023/drivers', [{ status: 503 }, { status: 503 }, { status: 503 }]);
    const err = await client.drivers(2023).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).status).toBe(503);
    expect((err as Error).message).toContain('after 3 attempts');
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry other 4xx answers', async () => {
    const { client } = jolpica();
    const err = await client.results({ season: 1949, round: 1 }).catch((e: unknown) => e);
    expect((err as UpstreamError).status).toBe(404);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a malformed response with a clear error naming the field', async () => {
    const { client } = jolpica();
    server.inject('/2023/9/results', [
      { status: 200, body: JSON.stringify({ MRData: { limit: '30', offset: '0', total: 'twenty' } }) },
      { status: 200, body: '<html>gateway</html>' },
    ]);
    await expect(client.results({ season: 2023, round: 9 })).rejects.toThrow(/malformed response .*MRData\.total: must be an integer string/);
    await expect(client.results({ season: 2023, round: 9 })).rejects.toThrow(/malformed response .*not JSON/);
  });

  it('paces requests per host: N uncached requests take at least the token-bucket time', async () => {
    const { client, clock } = jolpica();
    const n = 10;
    for (let i = 0; i < n; i++) await client.results({ season: 2023, round: 9 });
    expect(server.requests).toHaveLength(n);
    // 4 at once, then one every 250 ms.
    expect(clock.elapsed()).toBeGreaterThanOrEqual((n - 4) * 250);
    expect(clock.elapsed()).toBeLessThan((n - 4) * 250 + 50);
  });

  it('honours the hourly budget: 600 requests need at least (600 - 500) / (500/h)', async () => {
    const clock = virtualClock();
    const pacer = new Pacer(jolpicaLimits, clock);
    for (let i = 0; i < 600; i++) await pacer.acquire();
    const floor = (100 / (500 / 3600)) * 1000;
    expect(clock.elapsed()).toBeGreaterThanOrEqual(floor - 1000);
    expect(clock.elapsed()).toBeLessThan(floor + 10_000);
  });

  it('carries the hourly budget over to the next process through the request ledger', async () => {
    const ledgerDir = path.join(tmp, 'ledger', 'missing');
    const clock = virtualClock();
    // A small hourly budget so the test stays short: 5 requests, then one per 720 s.
    const limits = [{ capacity: 5, perSecond: 5 / 3600 }];
    const run = () =>
      createJolpicaClient({ http: createHttpClient({ limits, clock, ledger: createRequestLedger(ledgerDir) }), baseUrl: server.jolpicaBaseUrl, pageSize: 30 });
    const first = run();
    for (let i = 0; i < 5; i++) await first.results({ season: 2023, round: 9 });
    expect(clock.elapsed()).toBe(0);
    // A new client (a new process) starts with the budget the first one left: empty.
    await run().results({ season: 2023, round: 9 });
    expect(clock.elapsed()).toBeGreaterThanOrEqual(719_000);
    expect(server.requests).toHaveLength(6);
    // Without the ledger it would have started full.
    const fresh = virtualClock();
    await createJolpicaClient({ http: createHttpClient({ limits, clock: fresh }), baseUrl: server.jolpicaBaseUrl, pageSize: 30 }).results({ season: 2023, round: 9 });
    expect(fresh.elapsed()).toBe(0);
  });

  it('serves the second identical call from the cache, creating a missing cache folder', async () => {
    const cacheDir = path.join(tmp, 'does', 'not', 'exist', 'yet');
    const first = jolpica({ cacheDir });
    const a = await first.client.schedule(2023);
    expect(server.requests).toHaveLength(1);
    const second = jolpica({ cacheDir });
    const b = await second.client.schedule(2023);
    expect(b).toEqual(a);
    expect(server.requests).toHaveLength(1);
    expect(second.http.requestsSent).toBe(0);
    expect((await fs.readdir(cacheDir)).length).toBe(1);
  });

  it('result sync (fetchRaceResults) always asks upstream, even with a cache', async () => {
    const cacheDir = path.join(tmp, 'fresh');
    const { client } = jolpica({ cacheDir });
    await fetchRaceResults(client, 2023, 9);
    await fetchRaceResults(client, 2023, 9);
    expect(server.requests).toHaveLength(2);
    await client.results({ season: 2023, round: 9 });
    await client.results({ season: 2023, round: 9 });
    expect(server.requests).toHaveLength(3);
  });

  it('keeps past seasons cached for good and refreshes the current season after an hour', async () => {
    const cacheDir = path.join(tmp, 'ttl');
    const clock = virtualClock(Date.parse('2025-06-01T00:00:00Z'));
    const http = createHttpClient({ limits: jolpicaLimits, clock, cache: createResponseCache(cacheDir, undefined, () => clock.now().getTime()) });
    const client = createJolpicaClient({ http, baseUrl: server.jolpicaBaseUrl, pageSize: 40, now: () => clock.now().getTime() });
    await client.schedule(2025);
    await client.schedule(2018);
    await client.schedule(2025);
    await client.schedule(2018);
    expect(server.requests).toHaveLength(2);
    await clock.sleep(2 * 3_600_000);
    await client.schedule(2025);
    await client.schedule(2018);
    expect(server.requests).toEqual(['/ergast/f1/2025.json?limit=40&offset=0', '/ergast/f1/2018.json?limit=40&offset=0', '/ergast/f1/2025.json?limit=40&offset=0']);
  });

  it('refetches when a cache entry is corrupt', async () => {
    const cacheDir = path.join(tmp, 'corrupt');
    await jolpica({ cacheDir }).client.schedule(2023);
    const [entry] = await fs.readdir(cacheDir);
    await fs.writeFile(path.join(cacheDir, entry!), '{"url": "trunc');
    server.requests.length = 0;
    const again = await jolpica({ cacheDir }).client.schedule(2023);
    expect(again).toHaveLength(recordedTotal('/ergast/f1/2023.json?limit=30&offset=0'));
    expect(server.requests).toHaveLength(1);
    // …and the entry was rewritten: a third client reads it without a request.
    await jolpica({ cacheDir }).client.schedule(2023);
    expect(server.requests).toHaveLength(1);
  });
});
