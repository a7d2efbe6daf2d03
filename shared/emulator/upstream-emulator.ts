import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../clock.js';
import { loadErgastData } from './ergast-data.js';
import { answerErgast } from './ergast-responses.js';
import { createFaults, DEFAULT_FAULTS, type FaultOptions } from './faults.js';
import { answerOpenF1, loadOpenF1Data } from './openf1-data.js';

export { PUBLISH_DELAYS } from './publication.js';

/**
 * The upstream APIs on one machine: a local HTTP server answering Jolpica (under
 * /ergast/f1/…) and OpenF1 (under /v1/…) the way the project's clients request them, built
 * from F1_DATA_DIR, each session's data visible only once published on the given clock
 * (publication.ts), with seeded 429s and 5xx (faults.ts). `pitwall replay --upstream
 * emulated` runs a season against it.
 */

export interface UpstreamEmulatorOptions {
  /** F1_DATA_DIR (shared/data). */
  dataDir: string;
  /** Data is visible only once published on this clock. */
  clock: Clock;
  /** Seasons whose sessions it serves (default: all in the dump); other seasons answer empty. */
  seasons?: number[];
  /** Default DEFAULT_FAULTS (2% 429, 1% 5xx); { throttleRate: 0, errorRate: 0 } for none. */
  faults?: FaultOptions;
  /**
   * Serve the single recorded OpenF1 sessions too (default true). The replay's comparison turns
   * them off: the dump-based path has lap exports only, so it would lack what they add.
   */
  openf1Recordings?: boolean;
}

export interface EmulatorStats {
  requests: number;
  byStatus: Record<string, number>;
  throttled: number;
  failed: number;
  /** 'jolpica/results', 'openf1/stints', ... */
  byEndpoint: Record<string, number>;
}

export interface UpstreamEmulator {
  /** Base URL for the Jolpica client (JOLPICA_BASE_URL). */
  jolpicaBaseUrl: string;
  /** Base URL for the OpenF1 client (OPENF1_BASE_URL). */
  openf1BaseUrl: string;
  stats(): EmulatorStats;
  close(): Promise<void>;
}

export async function startUpstreamEmulator(o: UpstreamEmulatorOptions): Promise<UpstreamEmulator> {
  const [ergast, openf1] = await Promise.all([loadErgastData(o.dataDir), loadOpenF1Data(o.dataDir, { recordings: o.openf1Recordings ?? true })]);
  const seasons = o.seasons ? new Set(o.seasons) : undefined;
  const serves = (season: number) => !seasons || seasons.has(season);
  const faults = createFaults(o.faults ?? DEFAULT_FAULTS);
  const stats: EmulatorStats = { requests: 0, byStatus: {}, throttled: 0, failed: 0, byEndpoint: {} };
  let base = '';

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
      res.end(text);
    };
    stats.requests++;
    const ergastPath = /^\/ergast\/f1\/(.+)$/.exec(url.pathname)?.[1];
    const openf1Endpoint = /^\/v1\/([a-z_]+)$/.exec(url.pathname)?.[1];
    if (req.method !== 'GET' || (!ergastPath && !openf1Endpoint)) {
      stats.byEndpoint.unknown = (stats.byEndpoint.unknown ?? 0) + 1;
      send(404, { detail: 'Not Found' });
      return;
    }
    const now = o.clock.now().getTime();
    const answer = ergastPath
      ? { api: 'jolpica', ...answerErgast({ data: ergast, now, serves, baseUrl: `${base}/ergast/f1` }, ergastPath, url.searchParams) }
      : { api: 'openf1', ...answerOpenF1({ data: openf1, now, serves }, openf1Endpoint!, url.search.slice(1)) };
    const endpoint = `${answer.api}/${answer.endpoint}`;
    stats.byEndpoint[endpoint] = (stats.byEndpoint[endpoint] ?? 0) + 1;
    const fault = faults.next(`${url.pathname}${url.search}`);
    if (fault?.kind === 'throttle') {
      stats.throttled++;
      // Django REST framework's throttle answer, as Jolpica sends it.
      send(429, { detail: `Request was throttled. Expected available in ${fault.retryAfterSeconds} seconds.` }, { 'retry-after': String(fault.retryAfterSeconds) });
      return;
    }
    if (fault?.kind === 'error') {
      stats.failed++;
      send(fault.status, { detail: `emulated upstream error ${fault.status}` });
      return;
    }
    send(answer.status, answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    jolpicaBaseUrl: `${base}/ergast/f1`,
    openf1BaseUrl: `${base}/v1`,
    stats: () => structuredClone(stats),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
