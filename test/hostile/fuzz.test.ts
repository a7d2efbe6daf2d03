import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedOperations } from '../../shared/api/openapi.js';
import { mountedRoutes } from '../../shared/app/routes.js';
import type { RouteSpec } from '../../shared/http/route.js';
import { errorBody } from '../../shared/http/route.js';
import { createRepository } from '../../shared/repository/index.js';
import { startStack } from '../api/stack.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';

const data = requireData();
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;

/** Requests per operation: enough to hit every hostile value class, bounded for CI. */
const PER_OPERATION = 30;

/** A small deterministic PRNG (mulberry32): the same requests on every run. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T,>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]! };
}

/** Values that have broken parsers somewhere: numbers in other bases, overflow, escapes, injection, size. */
const hostileText = [
  '', ' ', '0', '-1', '1.5', '0x10', '0b11', '1e3', '+7', '2147483648', '99999999999999999999', 'NaN', 'Infinity', 'null', 'true',
  "'; drop table races;--", '../../etc/passwd', '/etc/passwd', '<script>alert(1)</script>', '日本グランプリ', '\u0000', 'a'.repeat(4000), '%', '%zz',
];

const hostileJson: unknown[] = [
  null, true, 0, -1, 1.5, 2 ** 31, 1e308, 'x', '', [], {}, [1, 2, 3], { __proto__: { polluted: true } }, { constructor: { prototype: { polluted: true } } },
  'a'.repeat(10_000), Array.from({ length: 5_000 }, (_, i) => i),
];

/** A valid-looking body per operation, which the fuzzer then mutates field by field. */
function seedBody(op: RouteSpec, monacoId: number): Record<string, unknown> | undefined {
  if (op.path === '/pits') {
    return {
      lap: 3, totalLaps: 78, raceId: monacoId,
      laps: [1, 2, 3].flatMap((lap) => [{ driverId: 1, lap, position: 1, compound: 'MEDIUM', stint: 1, tyreLife: lap }, { driverId: 830, lap, position: 2, compound: 'HARD', stint: 1, tyreLife: lap }]),
    };
  }
  // Never a real dump: the suite must stay fast; paths outside the roots and unknown files are the point.
  if (op.path === '/ingest') return { laps: '/etc/passwd' };
  return undefined;
}

const deepNesting = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

function mutate(body: Record<string, unknown>, r: ReturnType<typeof prng>): unknown {
  const copy: Record<string, unknown> = structuredClone(body);
  const keys = Object.keys(copy);
  switch (r.pick(['replace', 'drop', 'extra', 'nested'] as const)) {
    case 'replace':
      copy[r.pick(keys)] = r.pick([...hostileJson, ...hostileText]);
      break;
    case 'drop':
      delete copy[r.pick(keys)];
      break;
    case 'extra':
      copy[r.pick(['unknown', '__proto__', 'constructor', 'x'.repeat(200)])] = r.pick(hostileJson);
      break;
    case 'nested': {
      const arrays = keys.filter((k) => Array.isArray(copy[k]));
      const k = arrays.length ? r.pick(arrays) : r.pick(keys);
      const xs = Array.isArray(copy[k]) ? (copy[k] as unknown[]) : [];
      copy[k] = xs.map((x) => (x && typeof x === 'object' ? { ...x, [r.pick(Object.keys(x as object))]: r.pick([...hostileJson, ...hostileText]) } : x));
    }
  }
  return copy;
}

interface Probe {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function probesFor(op: RouteSpec, known: Record<string, string[]>, monacoId: number, seed: number): Probe[] {
  const r = prng(seed);
  const probes: Probe[] = [];
  const queryNames = op.query ? Object.keys(op.query.shape) : [];
  const base = seedBody(op, monacoId);
  for (let i = 0; i < PER_OPERATION; i++) {
    // The first probe of each operation is the well-formed request; then ever more hostile ones.
    const valid = i === 0;
    const value = (name: string) => (valid || r.next() < 0.4 ? r.pick(known[name] ?? ['1']) : r.pick(hostileText));
    let path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const v = value(name);
      // Raw '%' sequences test the decoder; everything else is escaped as a client would.
      return v.startsWith('%') ? v : encodeURIComponent(v) || '%20';
    });
    const query = new URLSearchParams();
    for (const name of queryNames) {
      const roll = valid ? 1 : r.next();
      if (roll < 0.15) continue;
      query.append(name, value(name));
      if (roll < 0.25) query.append(name, value(name));
    }
    if (!valid && r.next() < 0.1) query.append(r.pick(['unknown', 'season', '__proto__']), r.pick(hostileText));
    if (query.size) path += `?${query.toString()}`;
    const method = valid || r.next() < 0.85 ? op.method.toUpperCase() : r.pick(['PUT', 'DELETE', 'PATCH', op.method === 'GET' ? 'POST' : 'GET']);
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const kind = valid ? 'seed' : r.pick(['seed', 'mutated', 'mutated', 'hostile', 'deep', 'not-json', 'form', 'none'] as const);
      headers['content-type'] = kind === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
      if (kind === 'seed') body = JSON.stringify(base ?? {});
      else if (kind === 'mutated') body = JSON.stringify(base ? mutate(base, r) : r.pick(hostileJson));
      else if (kind === 'hostile') body = JSON.stringify(r.pick(hostileJson));
      else if (kind === 'deep') body = deepNesting(r.pick([64, 2_000, 20_000]));
      else if (kind === 'not-json') body = r.pick(['{', '{"a":', 'not json', '\u0000', '{"a":1}}']);
      else if (kind === 'form') body = 'laps=%2Fetc%2Fpasswd&lap=1';
    }
    probes.push({ method, path, headers, ...(body !== undefined ? { body } : {}) });
  }
  return probes;
}

/** The statuses any operation may give without listing them: wrong method, unknown route. */
const universal = new Set([404, 405]);
const leak = /node_modules|\/work\/|\/tmp\/|\/home\/|\.ts:\d+|\.js:\d+|<html|<pre|\bat [\w.$<>]+ \((?:\/|file:|node:)|root:x:0:0/i;

/**
 * Every operation of the OpenAPI document, called with well-formed and hostile paths,
 * queries, methods and bodies. Each answer must be one the document lists for that
 * operation (or 404/405), a JSON body that parses with the schema listed for that status,
 * and, when it is a refusal, a message that leaks no path, stack or file content.
 */
describe.skipIf(data.skip)('hostile input on every documented route', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let upstream: http.Server;
  const known: Record<string, string[]> = { year: ['2024'], season: ['2024'], race: ['monaco', '8', 'bahrain'], lap: ['5', '30'], retrospective: ['true', 'false'] };
  let monacoId = 0;

  beforeAll(async () => {
    // Jolpica and OpenF1 stand-in: every call is an upstream failure, answered at once.
    upstream = http.createServer((_req, res) => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"down"}'));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    db = await backend.open();
    const repo = createRepository(db.knex);
    await loadSeasons(repo, [2024]);
    monacoId = (await repo.races.bySeasonRound(2024, 8))!.id;
    known.raceId = [String(monacoId), String((await repo.races.bySeasonRound(2024, 1))!.id)];
    known.id = ['1', '2'];
    stack = await startStack(db, {
      now: new Date('2024-05-20T00:00:00Z'),
      env: { JOLPICA_BASE_URL: upstreamUrl, OPENF1_BASE_URL: upstreamUrl, FUNCTIONS_BASE_URL: 'http://127.0.0.1:1' },
    });
  }, 180_000);
  afterAll(async () => {
    await stack?.server.close();
    await db?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it.each(documentedOperations(mountedRoutes()).map((op, i) => [`${op.method.toUpperCase()} ${op.path}`, op, i] as const))('%s', async (_name, op, i) => {
    const seen = new Map<number, number>();
    for (const probe of probesFor(op, known, monacoId, 1000 + i)) {
      const label = `${probe.method} ${probe.path.slice(0, 120)} ${probe.body?.slice(0, 80) ?? ''}`;
      const res = await fetch(`${stack.url}${probe.path}`, { method: probe.method, headers: probe.headers, ...(probe.body !== undefined ? { body: probe.body } : {}), signal: AbortSignal.timeout(20_000) });
      // A stream (Server-Sent Events) stays open until the client goes: its type is what is checked.
      if (res.status === 200 && op.responses[200]?.mediaType === 'text/event-stream') {
        expect(res.headers.get('content-type'), label).toMatch(/^text\/event-stream/);
        await res.body?.cancel();
        seen.set(200, (seen.get(200) ?? 0) + 1);
        continue;
      }
      const text = await res.text();
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      const documented = op.responses[res.status];
      expect(documented !== undefined || universal.has(res.status), `${label} → ${res.status} ${text.slice(0, 200)} (not documented for this operation)`).toBe(true);
      expect(res.status < 500 || documented !== undefined, `${label} → ${res.status} ${text.slice(0, 200)}`).toBe(true);
      expect(res.headers.get('content-type'), label).toMatch(/^application\/json/);
      const json = JSON.parse(text) as unknown;
      const parsed = (documented?.schema ?? errorBody).safeParse(json);
      expect(parsed.success, `${label} → ${res.status}: the body does not match its schema: ${parsed.error?.message.slice(0, 300)}`).toBe(true);
      if (res.status >= 400) expect(leak.exec(text)?.[0], `${label} → ${res.status} ${text.slice(0, 300)}`).toBeUndefined();
    }
    // The well-formed first probe must not be refused as malformed: the fuzzer exercised the route.
    expect([...seen.keys()].some((s) => s !== 400 && s !== 405), `only refusals: ${JSON.stringify([...seen])}`).toBe(true);
  }, 120_000);

  it('answers undocumented methods and paths with a JSON 404 or 405, never a page', async () => {
    for (const [method, path] of [['POST', '/'], ['PUT', '/'], ['DELETE', '/index.html'], ['PATCH', '/app.js'], ['DELETE', '/predictions/1'], ['PUT', '/races'], ['GET', '/nope'], ['GET', '/predictions']] as const) {
      const res = await fetch(`${stack.url}${path}`, { method });
      expect([404, 405], `${method} ${path} → ${res.status}`).toContain(res.status);
      expect(res.headers.get('content-type'), `${method} ${path}`).toMatch(/^application\/json/);
      expect(errorBody.safeParse(await res.json()).success).toBe(true);
      if (res.status === 405) expect(res.headers.get('allow')).toBeTruthy();
    }
  });
});
