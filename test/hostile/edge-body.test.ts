import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../api/stack.js';
import { backends } from '../helpers/databases.js';
import { PITS_BODY_MAX_BYTES, WRITE_BODY_MAX_BYTES } from '../../shared/http/body.js';

const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;

interface Sent {
  status: number;
  body: { error?: { code: string; message: string } } | undefined;
  /** Bytes of body written before the answer came. */
  sent: number;
  ms: number;
}

/**
 * Streams a body of up to `total` bytes (chunked, or under a declared Content-Length) and
 * stops writing as soon as the server answers: what a hostile client sending 1 GB sees.
 */
function stream(base: string, method: string, path: string, opts: { headers?: Record<string, string>; total: number; chunk?: number }): Promise<Sent> {
  const started = performance.now();
  const chunk = Buffer.alloc(opts.chunk ?? 64 * 1024, 0x20);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = http.request(`${base}${path}`, { method, headers: opts.headers, agent: false }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined, sent, ms: performance.now() - started });
        req.destroy();
      });
      res.on('error', reject);
    });
    // The server may close the connection after answering: writes failing then are expected.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    const pump = () => {
      while (!answered && sent < opts.total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

const GB = 1024 * 1024 * 1024;

/**
 * Request bodies (issue 13, item 8): each function reads its body itself, capped per route,
 * after its method, Content-Type and credential checks; functions-framework's parser (1 GB,
 * not configurable) never sees it. The figures are the bytes a client got to send before the
 * answer, against the dev server.
 */
describe('request bodies are capped per route before parsing', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let local: Awaited<ReturnType<typeof startStack>>;
  let production: Awaited<ReturnType<typeof startStack>>;

  beforeAll(async () => {
    db = await backend.open();
    local = await startStack(db);
    production = await startStack(db, { env: { PITWALL_ENV: 'production' } });
  }, 60_000);
  afterAll(async () => {
    await local?.server.close();
    await production?.server.close();
    await db?.close();
  });

  it('refuses a declared 1 GB body at once, before reading it', async () => {
    const out = await stream(local.url, 'POST', '/predict?year=2024&race=1', { headers: { 'Content-Type': 'application/json', 'Content-Length': String(GB) }, total: GB });
    expect(out.status).toBe(413);
    expect(out.body?.error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining(`${WRITE_BODY_MAX_BYTES} bytes at most`) });
    expect(out.ms).toBeLessThan(5_000);
    expect(out.sent).toBeLessThan(16 * 1024 * 1024);
  });

  it.each([
    ['/predict?year=2024&race=1', WRITE_BODY_MAX_BYTES],
    ['/results/sync/2024/1', WRITE_BODY_MAX_BYTES],
    ['/evaluate/2024/1', WRITE_BODY_MAX_BYTES],
    ['/schedule', WRITE_BODY_MAX_BYTES],
    ['/ingest', WRITE_BODY_MAX_BYTES],
    ['/pits', PITS_BODY_MAX_BYTES],
  ])('refuses a chunked body past the cap of POST %s as it passes the cap, not at its end', async (path, cap) => {
    const out = await stream(local.url, 'POST', path, { headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, total: GB });
    expect(out.status).toBe(413);
    expect(out.body?.error?.code).toBe('payload_too_large');
    expect(out.body?.error?.message).toContain(`${cap} bytes at most`);
    // Socket buffers let a client run a little ahead of the server; nowhere near the 1 GB.
    expect(out.sent).toBeLessThan(cap + 16 * 1024 * 1024);
    expect(out.ms).toBeLessThan(10_000);
  });

  it('a body under the cap still arrives: an ingest request is read and parsed', async () => {
    const res = await fetch(`${local.url}/ingest`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ laps: '/etc/passwd' }) });
    const body = (await res.json()) as { error: { message: string } };
    expect(res.status).toBe(400);
    expect(body.error.message).toMatch(/laps/);
  });

  it('does not read, let alone parse, a write body before the caller is authenticated', async () => {
    const declared = await stream(production.url, 'POST', '/predict?year=2024&race=1', { headers: { 'Content-Type': 'application/json', 'Content-Length': String(GB) }, total: GB });
    expect(declared.status).toBe(401);
    const chunked = await stream(production.url, 'POST', '/results/sync/2024/1', { headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, total: 256 * 1024 * 1024 });
    expect(chunked.status).toBe(401);
    expect(chunked.sent).toBeLessThan(16 * 1024 * 1024);
    // Not JSON at all: still the credentials' refusal, not a parse error.
    const res = await fetch(`${production.url}/evaluate/2024/1`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"not json' });
    expect(res.status).toBe(401);
  });

  it('the read API reads no body: a GET or a refused POST with 1 GB behind it answers at once', async () => {
    const health = await stream(local.url, 'GET', '/health', { headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, total: GB });
    expect([200, 503]).toContain(health.status);
    expect(health.sent).toBeLessThan(16 * 1024 * 1024);
    const post = await stream(local.url, 'POST', '/races?season=2024', { headers: { 'Content-Type': 'application/json', 'Content-Length': String(GB) }, total: GB });
    expect(post.status).toBe(405);
    expect(post.sent).toBeLessThan(16 * 1024 * 1024);
    const dashboard = await stream(local.url, 'PUT', '/dashboard/', { headers: { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' }, total: GB });
    expect(dashboard.status).toBe(405);
  });
});

/** Form posts (issue 13, item 9): they need no CORS preflight, so any page could make a browser send one. */
describe('write routes take JSON or no body', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let stack: Awaited<ReturnType<typeof startStack>>;

  beforeAll(async () => {
    db = await backend.open();
    stack = await startStack(db);
  }, 60_000);
  afterAll(async () => {
    await stack?.server.close();
    await db?.close();
  });

  const post = async (path: string, init: { type?: string; body?: string }) => {
    const res = await fetch(`${stack.url}${path}`, { method: 'POST', headers: init.type ? { 'Content-Type': init.type } : {}, ...(init.body !== undefined ? { body: init.body } : {}) });
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    return { status: res.status, error: ((await res.json()) as { error?: { code: string; message: string } }).error };
  };

  it.each([
    ['application/x-www-form-urlencoded', 'year=2024&race=1'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'],
    ['text/plain', '{"year":2024}'],
  ])('refuses %s with 415 on every write route', async (type, body) => {
    for (const path of ['/predict?year=2024&race=1', '/results/sync/2024/1', '/evaluate/2024/1', '/schedule', '/ingest']) {
      const out = await post(path, { type, body });
      expect(out.status, path).toBe(415);
      expect(out.error?.code).toBe('unsupported_media_type');
      expect(out.error?.message).toMatch(/application\/json/);
    }
  });

  it('refuses a body without a Content-Type, and takes an empty request or a JSON one', async () => {
    expect((await post('/evaluate/2024/1', { body: 'a=1' })).status).toBe(415);
    // Past the media check, the route's own answer (an empty database: no such season).
    expect((await post('/evaluate/2024/1', {})).status).toBe(404);
    expect((await post('/evaluate/2024/1', { type: 'application/json', body: '{}' })).status).toBe(404);
    expect((await post('/evaluate/2024/1', { type: 'application/json; charset=utf-8', body: '{"not json' })).status).toBe(400);
  });
});
