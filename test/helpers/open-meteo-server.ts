import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InjectedResponse } from './replay-server.js';

/**
 * A local stand-in for Open-Meteo's forecast endpoint: GET /v1/forecast answers the fixture
 * (test/fixtures/open-meteo, in the documented response format) when the query asks for
 * its dates, and Open-Meteo's documented 400 {"error": true, "reason": ...} for any other
 * date range. Tests can queue responses (429, 5xx) in front of it with `inject`.
 */

export const forecastFixture = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'open-meteo', 'forecast-miami-2024-05-05.json');

export interface OpenMeteoServer {
  baseUrl: string;
  /** Every request's query. */
  requests: URLSearchParams[];
  inject(responses: InjectedResponse[]): void;
  close(): Promise<void>;
}

export async function startOpenMeteoServer(fixture = forecastFixture): Promise<OpenMeteoServer> {
  const body = fs.readFileSync(fixture, 'utf8');
  const days = new Set((JSON.parse(body) as { hourly: { time: string[] } }).hourly.time.map((t) => t.slice(0, 10)));
  const requests: URLSearchParams[] = [];
  const queue: InjectedResponse[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://open-meteo');
    requests.push(url.searchParams);
    const injected = queue.shift();
    if (injected) {
      res.writeHead(injected.status, { 'content-type': 'application/json', ...injected.headers });
      res.end(injected.body ?? JSON.stringify({ error: true, reason: `injected ${injected.status}` }));
      return;
    }
    const [start, end] = [url.searchParams.get('start_date'), url.searchParams.get('end_date')];
    if (url.pathname !== '/v1/forecast' || !start || !end || !days.has(start) || !days.has(end)) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: true, reason: `Parameter 'start_date' is out of allowed range from ${[...days][0]} to ${[...days].at(-1)}` }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    inject: (responses) => queue.push(...responses),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
