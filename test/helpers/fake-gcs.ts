import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CRC32C } from '@google-cloud/storage';

/**
 * A small in-memory fake of the GCS JSON API: the subset @google-cloud/storage v7 uses for
 * save (uploadType=media and multipart), download (alt=media), list (prefix, pageToken)
 * and metadata. Tests point the real client at it via apiEndpoint.
 */
export interface FakeGcs {
  endpoint: string;
  objects: Map<string, { data: Buffer; contentType: string; updated: string; generation: number }>;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

function crc32c(data: Buffer): string {
  const c = new CRC32C();
  c.update(data);
  return c.toString();
}

export async function startFakeGcs(): Promise<FakeGcs> {
  const objects: FakeGcs['objects'] = new Map();
  const requests: FakeGcs['requests'] = [];
  let generation = 1;

  const metadata = (bucket: string, name: string) => {
    const o = objects.get(`${bucket}/${name}`)!;
    return {
      kind: 'storage#object',
      id: `${bucket}/${name}/${o.generation}`,
      name,
      bucket,
      generation: String(o.generation),
      contentType: o.contentType,
      size: String(o.data.length),
      md5Hash: createHash('md5').update(o.data).digest('base64'),
      crc32c: crc32c(o.data),
      updated: o.updated,
    };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      requests.push({ method: req.method ?? 'GET', path: url.pathname });
      const body = Buffer.concat(chunks);
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      const notFound = () => json(404, { error: { code: 404, message: 'No such object', errors: [{ reason: 'notFound' }] } });

      let m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
      if (m && req.method === 'POST') {
        const bucket = decodeURIComponent(m[1]!);
        const type = url.searchParams.get('uploadType');
        let name = url.searchParams.get('name') ?? '';
        let data: Buffer = body;
        let contentType = req.headers['content-type'] ?? 'application/octet-stream';
        if (type === 'multipart') {
          const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
          if (!boundary) return json(400, { error: { code: 400, message: 'multipart boundary missing' } });
          const parts = splitMultipart(body, boundary);
          const meta = JSON.parse(parts[0]!.body.toString('utf8')) as { name?: string; contentType?: string };
          name = meta.name ?? name;
          data = parts[1]!.body;
          contentType = meta.contentType ?? parts[1]!.headers['content-type'] ?? 'application/octet-stream';
        } else if (type !== 'media') {
          return json(400, { error: { code: 400, message: `unsupported uploadType ${type}` } });
        }
        if (!name) return json(400, { error: { code: 400, message: 'object name missing' } });
        objects.set(`${bucket}/${name}`, { data, contentType, updated: new Date().toISOString(), generation: generation++ });
        return json(200, metadata(bucket, name));
      }

      m = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
      if (m && req.method === 'GET') {
        const bucket = decodeURIComponent(m[1]!);
        const name = decodeURIComponent(m[2]!);
        const o = objects.get(`${bucket}/${name}`);
        if (!o) return notFound();
        if (url.searchParams.get('alt') === 'media') {
          res.writeHead(200, {
            'content-type': o.contentType,
            'content-length': String(o.data.length),
            'x-goog-hash': `crc32c=${crc32c(o.data)},md5=${createHash('md5').update(o.data).digest('base64')}`,
            'x-goog-generation': String(o.generation),
          });
          return res.end(o.data);
        }
        return json(200, metadata(bucket, name));
      }
      if (m && req.method === 'DELETE') {
        const key = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
        if (!objects.delete(key)) return notFound();
        res.writeHead(204);
        return res.end();
      }

      m = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
      if (m && req.method === 'GET') {
        const bucket = decodeURIComponent(m[1]!);
        const prefix = url.searchParams.get('prefix') ?? '';
        const max = Number(url.searchParams.get('maxResults') ?? 1000);
        const start = Number(url.searchParams.get('pageToken') ?? 0);
        const names = [...objects.keys()]
          .filter((k) => k.startsWith(`${bucket}/${prefix}`))
          .map((k) => k.slice(bucket.length + 1))
          .sort();
        const page = names.slice(start, start + max);
        return json(200, {
          kind: 'storage#objects',
          items: page.map((n) => metadata(bucket, n)),
          ...(start + max < names.length ? { nextPageToken: String(start + max) } : {}),
        });
      }
      json(501, { error: { code: 501, message: `fake GCS: ${req.method} ${url.pathname} not implemented` } });
    });
  });
  // The client pools keep-alive sockets; Node's 5 s default would close them under a
  // slow test and the next request would meet ECONNRESET, which real GCS does not do.
  server.keepAliveTimeout = 120_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function splitMultipart(body: Buffer, boundary: string): { headers: Record<string, string>; body: Buffer }[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; body: Buffer }[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    const start = pos + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after the delimiter and before the next
    const split = part.indexOf('\r\n\r\n');
    const headers: Record<string, string> = {};
    for (const line of part.subarray(0, split).toString('utf8').split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, body: part.subarray(split + 4) });
    pos = next;
  }
  return parts;
}
