import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../shared/clients/http-client.js';
import { createOpenF1Client, OpenF1AuthError } from '../../shared/clients/openf1.js';
import { openf1Limits } from '../../shared/clients/pacer.js';
import { createResponseCache } from '../../shared/clients/response-cache.js';
import { virtualClock } from './virtual-clock.js';

/** A local OpenF1 that records each request (decoded URL and Authorization) and answers what the test set for its path. */
function stubOpenF1() {
  const requests: { url: string; authorization: string | undefined }[] = [];
  const answers = new Map<string, { status: number; body: unknown }>();
  const server = http.createServer((req, res) => {
    requests.push({ url: decodeURIComponent(req.url ?? ''), authorization: req.headers.authorization });
    const answer = answers.get(new URL(req.url ?? '/', 'http://x').pathname) ?? { status: 404, body: { detail: 'No results found.' } };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  return { server, requests, answers };
}

describe('OpenF1 client, live reads', () => {
  const stub = stubOpenF1();
  let baseUrl: string;
  let cacheDir: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => stub.server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}/v1`;
    cacheDir = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-openf1-live-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => stub.server.close(resolve));
    await fs.rm(cacheDir, { recursive: true, force: true });
  });
  afterEach(() => {
    stub.requests.length = 0;
    stub.answers.clear();
  });
  const client = (token?: string) =>
    createOpenF1Client({
      http: createHttpClient({ limits: openf1Limits, clock: virtualClock(), cache: createResponseCache(cacheDir) }),
      baseUrl,
      ...(token ? { token } : {}),
    });

  it('turns a 401 without a token into a 503 that says to set OPENF1_TOKEN', async () => {
    stub.answers.set('/v1/laps', { status: 401, body: { detail: 'Authentication required for live sessions' } });
    const err = await client().laps(9999, undefined, { live: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenF1AuthError);
    expect((err as OpenF1AuthError).message).toMatch(/^OpenF1 serves live sessions only to authenticated users: set OPENF1_TOKEN/);
    expect((err as OpenF1AuthError).httpStatus).toBe(503);
    expect(stub.requests).toEqual([{ url: '/v1/laps?session_key=9999', authorization: undefined }]);
  });

  it('sends the token as a bearer on every request, and names the token when OpenF1 refuses it', async () => {
    stub.answers.set('/v1/position', { status: 200, body: [{ date: '2024-06-23T13:04:00.000Z', session_key: 9999, meeting_key: 1, driver_number: 1, position: 1 }] });
    expect(await client('abc123').position(9999)).toHaveLength(1);
    await client('abc123').stints(9999);
    expect(stub.requests.map((r) => r.authorization)).toEqual(['Bearer abc123', 'Bearer abc123']);
    stub.answers.set('/v1/intervals', { status: 403, body: { detail: 'Forbidden' } });
    await expect(client('expired').intervals(9999)).rejects.toThrow(/^OpenF1 refused the token \(HTTP 403 .*\): check OPENF1_TOKEN/);
  });

  it("reads only what came after the cursor with OpenF1's date> filter, and parses gaps as seconds, null or '+N LAP'", async () => {
    stub.answers.set('/v1/intervals', {
      status: 200,
      body: [
        { date: '2024-06-23T13:05:00.100Z', session_key: 9999, meeting_key: 1, driver_number: 1, gap_to_leader: null, interval: null },
        { date: '2024-06-23T13:05:00.200Z', session_key: 9999, meeting_key: 1, driver_number: 4, gap_to_leader: 1.532, interval: 1.532 },
        { date: '2024-06-23T13:05:00.300Z', session_key: 9999, meeting_key: 1, driver_number: 2, gap_to_leader: '+1 LAP', interval: 0.4 },
      ],
    });
    const rows = await client().intervals(9999, '2024-06-23T13:04:59.999+00:00');
    expect(rows.map((r) => r.gap_to_leader)).toEqual([null, 1.532, '+1 LAP']);
    await client().position(9999, '2024-06-23T13:04:00Z');
    await client().laps(9999, undefined, { since: '2024-06-23T13:00:00Z' });
    expect(stub.requests.map((r) => r.url)).toEqual([
      '/v1/intervals?session_key=9999&date>2024-06-23T13:04:59.999Z',
      '/v1/position?session_key=9999&date>2024-06-23T13:04:00.000Z',
      '/v1/laps?session_key=9999&date_start>2024-06-23T13:00:00.000Z',
    ]);
  });

  it('never answers a live read from the response cache, while a read of history is cached', async () => {
    stub.answers.set('/v1/pit', { status: 200, body: [{ session_key: 9998, driver_number: 1, lap_number: 20, date: '2024-06-23T13:40:00Z', pit_duration: 22.1 }] });
    const c = client();
    await c.pit(9998, undefined, { live: true });
    await c.pit(9998, undefined, { live: true });
    await c.position(9998);
    await c.position(9998);
    expect(stub.requests).toHaveLength(4);
    // A settled session's read is cached once, as before.
    await c.pit(9998);
    await c.pit(9998);
    expect(stub.requests).toHaveLength(5);
  });
});
