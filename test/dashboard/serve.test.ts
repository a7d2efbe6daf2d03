import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboardAssets } from '../../shared/dashboard/build-assets.js';
import { createDashboardHandler, pickEncoding } from '../../shared/dashboard/serve.js';
import type { Handler, HttpRequest } from '../../shared/http/handler.js';

const source = path.resolve(import.meta.dirname, '../../shared/dashboard/assets');

describe('dashboard assets', () => {
  let dir: string;
  let handler: Handler;
  const get = (p: string, headers: HttpRequest['headers'] = {}, query: HttpRequest['query'] = {}) =>
    handler({ method: 'GET', path: p, query, headers });

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-dashboard-'));
    buildDashboardAssets(source, dir);
    handler = createDashboardHandler(dir);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sends the brotli or gzip variant the client accepts, and the plain file otherwise', async () => {
    const plain = await get('/dashboard/vendor/vega.min.js');
    expect(plain.headers['Content-Encoding']).toBeUndefined();
    const original = plain.body as Buffer;
    expect(original.length).toBeGreaterThan(300_000);

    const br = await get('/dashboard/vendor/vega.min.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers).toMatchObject({ 'Content-Encoding': 'br', Vary: 'Accept-Encoding' });
    expect((br.body as Buffer).length).toBeLessThan(original.length / 3);
    expect(zlib.brotliDecompressSync(br.body as Buffer).equals(original)).toBe(true);

    const gz = await get('/dashboard/vendor/vega.min.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['Content-Encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body as Buffer).equals(original)).toBe(true);

    const refused = await get('/dashboard/vendor/vega.min.js', { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers['Content-Encoding']).toBeUndefined();
    // Each encoding is its own representation: its own ETag.
    expect(new Set([plain.headers.ETag, br.headers.ETag, gz.headers.ETag]).size).toBe(3);
  });

  it('parses Accept-Encoding preferences', () => {
    const both = ['identity', 'br', 'gzip'];
    expect(pickEncoding(undefined, both)).toBe('identity');
    expect(pickEncoding('gzip, br', both)).toBe('br');
    expect(pickEncoding('br;q=0, gzip', both)).toBe('gzip');
    expect(pickEncoding('*', both)).toBe('br');
    expect(pickEncoding('br', ['identity', 'gzip'])).toBe('identity');
  });

  it('names every asset in index.html by content version, kept for a year; the page itself revalidates', async () => {
    const page = await get('/dashboard/');
    expect(page.headers['Cache-Control']).toBe('no-cache');
    const html = (page.body as Buffer).toString('utf8');
    const refs = [...html.matchAll(/(?:src|href)="\/dashboard\/([^"?]+)\?v=([\w-]+)"/g)].map((m) => ({ file: m[1]!, v: m[2]! }));
    expect(refs.map((r) => r.file).sort()).toEqual(['app.js', 'favicon.svg', 'styles.css', 'vendor/vega-lite.min.js', 'vendor/vega.min.js']);
    for (const { file, v } of refs) {
      expect((await get(`/dashboard/${file}`, {}, { v })).headers['Cache-Control']).toBe('public, max-age=31536000, immutable');
    }
    // An unversioned or stale URL is cached briefly only.
    expect((await get('/dashboard/app.js', {}, { v: 'old' })).headers['Cache-Control']).toBe('public, max-age=300');
  });

  it('redirects / to the dashboard with the page state of the address kept', async () => {
    expect((await get('/')).headers.Location).toBe('/dashboard/');
    expect((await get('/', {}, { season: '2024', race: '1130' })).headers.Location).toBe('/dashboard/?season=2024&race=1130');
  });

  it('answers a known ETag with 304 and no body', async () => {
    const first = await get('/dashboard/app.js', { 'accept-encoding': 'br' });
    const again = await get('/dashboard/app.js', { 'accept-encoding': 'br', 'if-none-match': first.headers.ETag! });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
  });

  it('serves the icon at /favicon.ico and lists no compressed variant as a file of its own', async () => {
    const icon = await get('/favicon.ico');
    expect(icon.status).toBe(200);
    expect(icon.headers['Content-Type']).toBe('image/svg+xml');
    expect((icon.body as Buffer).toString('utf8')).toMatch(/^<svg /);
    await expect(get('/dashboard/app.js.br')).rejects.toThrow(/not found/);
  });
});
