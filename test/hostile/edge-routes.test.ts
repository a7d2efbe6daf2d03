import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decimalId, decimalInteger } from '../../shared/api/schemas.js';
import { createDashboardHandler } from '../../shared/dashboard/serve.js';
import { startStack } from '../api/stack.js';
import { backends } from '../helpers/databases.js';

const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;

/** Methods, ids and what the public read API shows (issue 13, item 9). */
describe('the HTTP edge of the read API and the dashboard', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let stack: Awaited<ReturnType<typeof startStack>>;
  const artifacts = path.join(os.tmpdir(), `pitwall-edge-artifacts-${process.pid}`);

  beforeAll(async () => {
    db = await backend.open();
    stack = await startStack(db, { env: { ARTIFACT_STORE_URI: artifacts } });
  }, 60_000);
  afterAll(async () => {
    await stack?.server.close();
    await db?.close();
  });

  const call = async (method: string, p: string) => {
    const res = await fetch(`${stack.url}${p}`, { method, redirect: 'manual' });
    const text = await res.text();
    return { status: res.status, allow: res.headers.get('allow'), type: res.headers.get('content-type'), text };
  };

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('the dashboard answers %s with 405 and Allow: GET, HEAD', async (method) => {
    for (const p of ['/', '/dashboard', '/dashboard/', '/dashboard/app.js', '/favicon.ico']) {
      const out = await call(method, p);
      expect(out.status, `${method} ${p}`).toBe(405);
      expect(out.allow).toBe('GET, HEAD');
      expect(out.type).toMatch(/application\/json/);
      expect(JSON.parse(out.text).error.code).toBe('method_not_allowed');
    }
  });

  it('read routes answer other methods with 405 naming GET and HEAD; write routes name POST', async () => {
    for (const p of ['/races?season=2024', '/health', '/predictions/1', '/openapi.json']) {
      const out = await call('DELETE', p);
      expect(out.status, p).toBe(405);
      expect(out.allow).toBe('GET, HEAD');
    }
    for (const p of ['/predict?year=2024&race=1', '/results/sync/2024/1', '/evaluate/2024/1', '/schedule', '/ingest']) {
      const out = await call('GET', p);
      expect(out.status, p).toBe(405);
      expect(out.allow).toBe('POST');
    }
  });

  it.each([
    '0x10', '0b11', '0o7', '1e3', '%2016', '16%20', '+16', '-1', '1.0', '0', '2147483648', '99999999999999999999',
  ])('an id of %s is a 400 JSON on every id route, never a 500', async (id) => {
    for (const p of [`/predictions/${id}`, `/predictions/${id}/snapshots`, `/predictions/1/snapshots/${id}`, `/results/${id}`, `/metrics/${id}`]) {
      const out = await call('GET', p);
      expect(out.status, p).toBe(400);
      expect(JSON.parse(out.text).error.message).toMatch(/must be a whole number from 1 to 2147483647/);
    }
  });

  it.each([
    ['/pits/2147483648?lap=10'],
    ['/pits/99999999999999999999/timeline'],
    ['/pits/0x10/timeline'],
    ['/pits/1e3?lap=10'],
  ])('the pit routes take an id past int4 or not in decimal as a client error: %s', async (p) => {
    const out = await call('GET', p);
    expect([400, 404]).toContain(out.status);
    expect(out.type).toMatch(/application\/json/);
  });

  it.each(['0x10', '1e3', '+5', '10.0', ' 7'])('a pit lap of %j is a 400 that names the lap, before any model is asked', async (lap) => {
    const out = await call('GET', `/pits/1?lap=${encodeURIComponent(lap)}`);
    expect(out.status).toBe(400);
    expect(JSON.parse(out.text).error.message).toMatch(/^lap must be a whole number from 1 to 200/);
  });

  it('the largest int4 id is a plain 404', async () => {
    expect((await call('GET', '/predictions/2147483647')).status).toBe(404);
  });

  it('/health names the kind of artifact store, never its path', async () => {
    const out = await call('GET', '/health');
    const checks = JSON.parse(out.text).checks;
    expect(checks.artifactStore).toEqual({ ok: true, detail: 'local folder' });
    expect(out.text).not.toContain(artifacts);
    expect(out.text).not.toContain(os.tmpdir());
  });
});

describe('what a failing check or a missing build shows', () => {
  it('a failing artifact store is reported by its error code, not its message with the path', async () => {
    const db = await backend.open();
    // A folder under a regular file cannot be created (ENOTDIR).
    const file = path.join(os.tmpdir(), `pitwall-edge-not-a-folder-${process.pid}`);
    fs.writeFileSync(file, '');
    const where = path.join(file, 'artifacts');
    const stack = await startStack(db, { env: { ARTIFACT_STORE_URI: where } });
    try {
      const res = await fetch(`${stack.url}/health`);
      const text = await res.text();
      expect(res.status).toBe(503);
      expect(JSON.parse(text).checks.artifactStore).toEqual({ ok: false, detail: expect.stringMatching(/^failed( \([A-Z]+\))?$/) });
      expect(text).not.toContain(file);
      expect(text).not.toContain(os.tmpdir());
    } finally {
      await stack.server.close();
      await db.close();
    }
  });

  it('a dashboard that is not built says so without naming the folder', async () => {
    const dir = path.join(os.tmpdir(), 'pitwall-no-dashboard-here');
    const handler = createDashboardHandler(dir);
    const err = await handler({ method: 'GET', path: '/dashboard/', query: {}, headers: {} }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/not built/);
    expect((err as Error).message).not.toContain(dir);
  });
});

describe('the shared decimal id parser (shared/api/schemas.ts)', () => {
  const raceId = decimalId('raceId', '/predictions/1121');
  it.each(['0x10', '0b11', '0o7', '1e3', ' 16', '16 ', '+16', '-1', '1.5', '0', '', '2147483648', '99999999999999999999', '١٦'])('refuses %j', (v) => {
    expect(raceId.safeParse(v).success).toBe(false);
  });
  it('takes decimal digits within int4, and ranges of its own', () => {
    expect(raceId.parse('16')).toBe(16);
    expect(raceId.parse('2147483647')).toBe(2147483647);
    const lap = decimalInteger('lap', 1, 200, '?lap=10');
    expect(lap.parse('10')).toBe(10);
    expect(lap.safeParse('201').success).toBe(false);
    expect(lap.safeParse('0x0a').success).toBe(false);
  });
});
