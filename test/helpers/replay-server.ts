import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * A local HTTP server replaying the real recorded API responses of shared/data/api-replay:
 *
 * - ergast/jolpica-f1/**.json: Ergast recordings; the request path is MRData.url's path
 *   (the file name encodes the same path with @ for /). They were requested without a
 *   query, i.e. with Ergast's defaults limit=30, offset=0 (which MRData confirms).
 * - ergast/f1dataR-vcr/*.yml: vcr cassettes of api.jolpi.ca; every interaction's request
 *   URI and exact body (parsed with `yaml`).
 * - openf1/**.json: arrays, under the request SOURCES.md gives for each file.
 *
 * Ergast paths are served under /ergast/f1/ (Jolpica's layout), OpenF1 under /v1/.
 * A request matches a recording when the path is equal and, for Ergast, limit and offset
 * are equal (absent = the defaults 30 / 0); for OpenF1 the whole query must be equal.
 * Anything not recorded answers 404. Tests can queue injected responses (429, 5xx, a
 * malformed body) in front of the recordings with `inject`.
 */

export interface Recording {
  status: number;
  body: string;
  source: string;
}

export interface InjectedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Close the socket without answering (a network error). */
  drop?: boolean;
  /** Send the headers and half of `body`, then close the socket (a connection lost mid-body). */
  truncate?: boolean;
}

export interface ReplayServer {
  baseUrl: string;
  jolpicaBaseUrl: string;
  openf1BaseUrl: string;
  /** Every request received, as path + query. */
  requests: string[];
  recordings: Map<string, Recording>;
  /** Answers the next requests whose path+query contains `match` with these responses, in order. */
  inject(match: string, responses: InjectedResponse[]): void;
  close(): Promise<void>;
}

/** OpenF1 files and the request each one answers (SOURCES.md, api-replay/openf1). */
export const openf1Requests: Record<string, string> = {
  'POSTED26-F1-Data/sessions.json': '/v1/sessions',
  'alberto231090-database_f1/meetings.json': '/v1/meetings',
  'alberto231090-database_f1/drivers.json': '/v1/drivers?session_key=9158',
  'alberto231090-database_f1/laps.json': '/v1/laps?session_key=9161',
  'alberto231090-database_f1/pit.json': '/v1/pit?session_key=9158',
  'alberto231090-database_f1/session_result.json': '/v1/session_result?session_key=7782',
  'alberto231090-database_f1/weather.json': '/v1/weather?meeting_key=1208',
  'heibylau-F1-pit-strategy-search/laps.json': '/v1/laps?session_key=9488',
  'heibylau-F1-pit-strategy-search/pit-stops.json': '/v1/pit?session_key=9488',
  'heibylau-F1-pit-strategy-search/stints.json': '/v1/stints?session_key=9488',
};

/** The key a request or a recording is filed under. */
export function replayKey(pathname: string, params: URLSearchParams): string {
  if (pathname.startsWith('/ergast/')) {
    // Ergast paths are case-insensitive (driverStandings = driverstandings; Jolpica's MRData.url is lower case).
    return `${pathname.toLowerCase()}?limit=${params.get('limit') ?? '30'}&offset=${params.get('offset') ?? '0'}`;
  }
  const sorted = [...params.entries()].sort(([a], [b]) => a.localeCompare(b));
  return sorted.length ? `${pathname}?${new URLSearchParams(sorted).toString()}` : pathname;
}

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

export function loadRecordings(replayDir: string): Map<string, Recording> {
  const out = new Map<string, Recording>();
  const add = (url: URL, rec: Recording) => {
    const key = replayKey(url.pathname, url.searchParams);
    if (out.has(key)) throw new Error(`two recordings for ${key}: ${out.get(key)!.source} and ${rec.source}`);
    out.set(key, rec);
  };

  const jolpicaDir = path.join(replayDir, 'ergast', 'jolpica-f1');
  for (const file of walk(jolpicaDir).filter((f) => f.endsWith('.json'))) {
    const body = fs.readFileSync(file, 'utf8');
    const mr = (JSON.parse(body) as { MRData: { url: string; limit: string; offset: string } }).MRData;
    const recorded = new URL(mr.url);
    const rest = recorded.pathname.replace(/^\/api\/f1\//, '');
    if (path.basename(file) !== `${rest.replace(/\.json$/, '').replaceAll('/', '@')}.json`) {
      throw new Error(`${file}: name does not match its MRData.url ${mr.url}`);
    }
    add(new URL(`http://replay/ergast/f1/${rest}?limit=${mr.limit}&offset=${mr.offset}`), { status: 200, body, source: path.relative(replayDir, file) });
  }

  const vcrDir = path.join(replayDir, 'ergast', 'f1dataR-vcr');
  for (const file of walk(vcrDir).filter((f) => f.endsWith('.yml'))) {
    const cassette = parseYaml(fs.readFileSync(file, 'utf8')) as {
      http_interactions: { request: { uri: string }; response: { status: { status_code?: number } | number; body: { string: string } } }[];
    };
    cassette.http_interactions.forEach((i, n) => {
      const status = typeof i.response.status === 'number' ? i.response.status : (i.response.status.status_code ?? 200);
      add(new URL(i.request.uri), { status, body: i.response.body.string, source: `${path.relative(replayDir, file)}#${n}` });
    });
  }

  for (const [file, request] of Object.entries(openf1Requests)) {
    const p = path.join(replayDir, 'openf1', file);
    add(new URL(`http://replay${request}`), { status: 200, body: fs.readFileSync(p, 'utf8'), source: `openf1/${file}` });
  }
  return out;
}

export async function startReplayServer(replayDir: string): Promise<ReplayServer> {
  const recordings = loadRecordings(replayDir);
  const requests: string[] = [];
  const injected: { match: string; responses: InjectedResponse[] }[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://replay');
    const asked = `${url.pathname}${url.search}`;
    requests.push(asked);
    const queue = injected.find((q) => q.responses.length && asked.includes(q.match));
    const fault = queue?.responses.shift();
    if (fault) {
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.truncate) {
        const body = fault.body ?? '{}';
        res.writeHead(fault.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
        res.write(body.slice(0, Math.floor(body.length / 2)), () => req.socket.destroy());
        return;
      }
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(fault.body ?? JSON.stringify({ detail: `injected ${fault.status}` }));
      return;
    }
    const rec = recordings.get(replayKey(url.pathname, url.searchParams));
    if (!rec) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: `not recorded: ${asked}` }));
      return;
    }
    res.writeHead(rec.status, { 'content-type': 'application/json' });
    res.end(rec.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    jolpicaBaseUrl: `${baseUrl}/ergast/f1`,
    openf1BaseUrl: `${baseUrl}/v1`,
    requests,
    recordings,
    inject: (match, responses) => injected.push({ match, responses: [...responses] }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
