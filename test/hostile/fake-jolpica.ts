import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A local Jolpica that misbehaves on purpose: every request goes to the test's `answer`,
 * which may reply late, never, with a status, or with a body written in chunks (backpressure
 * respected, so `bytesWritten` is what the client actually let through).
 */
export interface FakeRequest {
  path: string;
  limit: number;
  offset: number;
}

export type FakeAnswer =
  | { status?: number; headers?: Record<string, string>; body: string; delayMs?: number }
  | { hang: true }
  /** `chunks` chunks of `chunkBytes` bytes, without a content-length unless `declare`. */
  | { stream: { chunkBytes: number; chunks: number; declare?: boolean } };

export interface FakeJolpica {
  baseUrl: string;
  requests: FakeRequest[];
  /** Body bytes the server managed to write (a client that aborts stops it). */
  bytesWritten: number;
  answer: (req: FakeRequest, n: number) => FakeAnswer;
  close(): Promise<void>;
}

export async function startFakeJolpica(): Promise<FakeJolpica> {
  const fake: FakeJolpica = {
    baseUrl: '',
    requests: [],
    bytesWritten: 0,
    answer: () => ({ status: 404, body: '{}' }),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const asked = { path: url.pathname, limit: Number(url.searchParams.get('limit')), offset: Number(url.searchParams.get('offset')) };
    fake.requests.push(asked);
    const a = fake.answer(asked, fake.requests.length);
    if ('hang' in a) return; // never answers; the client's timeout must end it
    if ('stream' in a) {
      const { chunkBytes, chunks, declare } = a.stream;
      res.writeHead(200, { 'content-type': 'application/json', ...(declare ? { 'content-length': String(chunkBytes * chunks) } : {}) });
      const chunk = Buffer.alloc(chunkBytes, 0x20);
      let left = chunks;
      const pump = () => {
        while (left > 0 && !res.destroyed) {
          left--;
          fake.bytesWritten += chunkBytes;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (left === 0) res.end();
      };
      if (declare) {
        // A declared length is refused from the headers: nothing need be sent.
        res.flushHeaders();
        setTimeout(pump, 50);
      } else pump();
      return;
    }
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json', ...a.headers });
      fake.bytesWritten += Buffer.byteLength(a.body);
      res.end(a.body);
    };
    if (a.delayMs) setTimeout(send, a.delayMs);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.baseUrl = `http://127.0.0.1:${port}/ergast/f1`;
  fake.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  return fake;
}

type Page = { MRData: Record<string, unknown> & { limit: string; offset: string; total: string; RaceTable: { Races: Record<string, unknown>[] } } };

/** The recorded Jolpica page of 2023 R9's results (20 classified), parsed afresh for each edit. */
export function recordedResultsPage(dataDir: string): Page {
  const file = path.join(dataDir, 'api-replay', 'ergast', 'jolpica-f1', 'results', '2023@9@results.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Page;
}

/** The Results array of the page's (only) race. */
export const resultsOf = (page: Page) => page.MRData.RaceTable.Races[0]!.Results as Record<string, unknown>[];
