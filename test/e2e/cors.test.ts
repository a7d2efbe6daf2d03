import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepository } from '../../shared/repository/index.js';
import { atFreeze, startStack } from '../api/stack.js';
import { launchChromium, requireChromium } from '../helpers/browser.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';

const data = requireData();
const chromium = requireChromium();
// PostgreSQL when the suite has it (faster), else the embedded default.
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;

/**
 * The page another origin serves: it calls the read API as a dashboard elsewhere would, a
 * simple GET (no preflight) and conditional GETs (If-None-Match: a preflight first), and
 * writes what the browser let it see into the DOM.
 */
const page = `<!doctype html><meta charset="utf-8"><title>elsewhere</title><pre id="out"></pre><script type="module">
const params = new URLSearchParams(location.search);
const api = params.get('api');
const race = params.get('race');
const attempt = async (call) => { try { return await call(); } catch (e) { return { error: e.name, message: e.message }; } };
const out = {};
out.seasons = await attempt(async () => { const r = await fetch(api + '/seasons'); return { status: r.status, body: await r.json() }; });
out.prediction = await attempt(async () => {
  const r = await fetch(api + '/predictions/' + race, { headers: { 'If-None-Match': '"not-this-one"' } });
  return { status: r.status, etag: r.headers.get('ETag'), cacheControl: r.headers.get('Cache-Control'), id: (await r.json()).id };
});
if (out.prediction.etag) {
  out.again = await attempt(async () => { const r = await fetch(api + '/predictions/' + race, { headers: { 'If-None-Match': out.prediction.etag } }); return { status: r.status }; });
}
document.getElementById('out').textContent = JSON.stringify(out);
document.body.dataset.done = 'true';
</script>`;

/** A second (or third) origin: a tiny server on its own port that serves the page above. */
async function servePage(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(page));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

describe.skipIf(data.skip || chromium.skip)('CORS for the read API in a real browser', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let allowed: Awaited<ReturnType<typeof servePage>>;
  let other: Awaited<ReturnType<typeof servePage>>;
  let predictionId: number;
  let raceId: number;

  beforeAll(async () => {
    [allowed, other] = await Promise.all([servePage(), servePage()]);
    db = await backend.open();
    const repo = createRepository(db.knex);
    await loadSeasons(repo, [2024], { withResults: false });
    stack = await startStack(db, { env: { ALLOWED_ORIGINS: `https://app.example,${allowed.origin}` } });
    // One frozen forecast: the read API's answer with an ETag.
    await atFreeze(stack, 2024, 'Monaco');
    const frozen = await fetch(`${stack.url}/predict?year=2024&race=Monaco`, { method: 'POST' });
    expect(frozen.status).toBe(201);
    ({ id: predictionId, race: { id: raceId } } = (await frozen.json()) as { id: number; race: { id: number } });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.server.close();
    await db?.close();
    await allowed?.close();
    await other?.close();
  });

  const visit = async (origin: string) => {
    const tab = await browser.context.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(e.message));
    await tab.goto(`${origin}/?api=${encodeURIComponent(stack.url)}&race=${raceId}`);
    await tab.waitForSelector('body[data-done="true"]', { timeout: 30_000 });
    const out = JSON.parse((await tab.textContent('#out'))!) as Record<string, Record<string, unknown>>;
    await tab.close();
    expect(errors).toEqual([]);
    return out;
  };

  it('an allowed origin reads the JSON, and after a preflight the ETag of a conditional GET (then a 304)', async () => {
    const out = await visit(allowed.origin);
    expect(out.seasons).toEqual({ status: 200, body: { seasons: [2024] } });
    expect(out.prediction).toMatchObject({ status: 200, id: predictionId, etag: expect.stringMatching(/^".+"$/), cacheControl: expect.stringMatching(/max-age=\d+/) });
    expect(out.again).toEqual({ status: 304 });
  });

  it('an origin not in ALLOWED_ORIGINS cannot read it: the page gets a TypeError', async () => {
    const out = await visit(other.origin);
    expect(out.seasons).toMatchObject({ error: 'TypeError' });
    expect(out.prediction).toMatchObject({ error: 'TypeError' });
  });

  it('over HTTP: 204 for an allowed preflight, 403 naming the setting for another origin, 405 for a plain OPTIONS', async () => {
    const options = (headers: Record<string, string>) => fetch(`${stack.url}/seasons`, { method: 'OPTIONS', headers });
    const ok = await options({ Origin: allowed.origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'if-none-match' });
    expect(ok.status).toBe(204);
    const cors = ['allow-origin', 'allow-methods', 'allow-headers'].map((h) => ok.headers.get(`access-control-${h}`));
    expect(cors).toEqual([allowed.origin, 'GET, HEAD', 'if-none-match']);
    const refused = await options({ Origin: other.origin, 'Access-Control-Request-Method': 'GET' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(await refused.json()).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('ALLOWED_ORIGINS') } });
    expect((await options({ Origin: allowed.origin })).status).toBe(405);
    // The pit forecasts are a read function too: a page on the allowed origin may fetch them.
    const pits = await fetch(`${stack.url}/pits/1/timeline`, { method: 'OPTIONS', headers: { Origin: allowed.origin, 'Access-Control-Request-Method': 'GET' } });
    expect(pits.status).toBe(204);
    expect(pits.headers.get('access-control-allow-origin')).toBe(allowed.origin);
  });
});
