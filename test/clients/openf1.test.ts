import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../shared/clients/http-client.js';
import { createOpenF1Client, type OpenF1InvalidRow } from '../../shared/clients/openf1.js';
import { openf1Limits } from '../../shared/clients/pacer.js';
import { UpstreamError } from '../../shared/errors.js';
import { dataDir, requireData } from '../helpers/settings.js';
import { openf1Requests, startReplayServer, type ReplayServer } from '../helpers/replay-server.js';
import { virtualClock } from './virtual-clock.js';

const data = requireData();
const replayDir = path.join(dataDir, 'api-replay');
const recordedLength = (file: string) => (JSON.parse(fs.readFileSync(path.join(replayDir, 'openf1', file), 'utf8')) as unknown[]).length;

describe.skipIf(data.skip)('OpenF1 client against the replay server', () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await startReplayServer(replayDir);
  });
  afterAll(async () => server.close());
  afterEach(() => {
    server.requests.length = 0;
  });
  const openf1 = (maxAttempts?: number) => {
    const clock = virtualClock();
    const http = createHttpClient({ limits: openf1Limits, clock, random: () => 0.5, ...(maxAttempts ? { maxAttempts } : {}) });
    return { clock, client: createOpenF1Client({ http, baseUrl: server.openf1BaseUrl }) };
  };

  it('reads sessions, stints, pit stops, laps and weather as recorded, every row validated', async () => {
    const { client } = openf1();
    const sessions = await client.sessions();
    expect(sessions).toHaveLength(recordedLength('POSTED26-F1-Data/sessions.json'));
    expect(sessions.find((s) => s.session_key === 9488)).toMatchObject({ session_name: 'Race', year: 2024 });
    expect(await client.stints(9488)).toHaveLength(recordedLength('heibylau-F1-pit-strategy-search/stints.json'));
    expect(await client.pit(9488)).toHaveLength(recordedLength('heibylau-F1-pit-strategy-search/pit-stops.json'));
    expect(await client.laps(9488)).toHaveLength(recordedLength('heibylau-F1-pit-strategy-search/laps.json'));
    expect(await client.laps(9161)).toHaveLength(recordedLength('alberto231090-database_f1/laps.json'));
    const pit = await client.pit(9158);
    expect(pit).toHaveLength(recordedLength('alberto231090-database_f1/pit.json'));
    expect(pit.filter((p) => p.pit_duration === null || p.pit_duration === undefined).length).toBeGreaterThan(0);
    const weather = await client.weather({ meeting_key: 1208 });
    expect(weather).toHaveLength(recordedLength('alberto231090-database_f1/weather.json'));
    expect(new Set(weather.map((w) => w.session_key)).size).toBeGreaterThan(1);
    expect(server.requests).toEqual([
      openf1Requests['POSTED26-F1-Data/sessions.json'],
      ...['stints', 'pit', 'laps'].map((e) => `/v1/${e}?session_key=9488`),
      '/v1/laps?session_key=9161',
      '/v1/pit?session_key=9158',
      '/v1/weather?meeting_key=1208',
    ]);
  });

  it("treats OpenF1's 404 'No results found' as an empty list, other 404s as errors", async () => {
    const { client } = openf1();
    server.inject('/v1/stints?session_key=1', [{ status: 404, body: JSON.stringify({ detail: 'No results found.' }) }]);
    expect(await client.stints(1)).toEqual([]);
    await expect(client.stints(2)).rejects.toBeInstanceOf(UpstreamError);
  });

  it('retries a 429 after Retry-After and paces at 3 requests/s', async () => {
    const { client, clock } = openf1();
    server.inject('/v1/stints?session_key=9488', [{ status: 429, headers: { 'retry-after': '2' } }]);
    await client.stints(9488);
    expect(clock.sleeps).toContain(2000);
    const { client: paced, clock: pacedClock } = openf1();
    for (let i = 0; i < 9; i++) await paced.stints(9488);
    // 3 at once, then one every 333 ms.
    expect(pacedClock.elapsed()).toBeGreaterThanOrEqual(6 * 333);
  });

  it('with a sink, sets a bad row aside with its reason and keeps the good rows', async () => {
    const { client } = openf1();
    const rows = JSON.parse(fs.readFileSync(path.join(replayDir, 'openf1', 'heibylau-F1-pit-strategy-search', 'stints.json'), 'utf8')) as Record<string, unknown>[];
    delete rows[2]!.driver_number;
    server.inject('/v1/stints?session_key=9488', [{ status: 200, body: JSON.stringify(rows) }]);
    const invalid: OpenF1InvalidRow[] = [];
    expect(await client.stints(9488, invalid)).toHaveLength(rows.length - 1);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.reason).toMatch(/^2\.driver_number/);
  });

  it('rejects a body that is not the documented shape', async () => {
    const { client } = openf1();
    server.inject('/v1/laps?session_key=9488', [{ status: 200, body: JSON.stringify([{ session_key: 9488, driver_number: 'one' }]) }]);
    await expect(client.laps(9488)).rejects.toThrow(/malformed response .*0\.driver_number/);
  });
});
