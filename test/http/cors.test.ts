import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../shared/config/config.js';
import { NotFoundError } from '../../shared/errors.js';
import { withCors } from '../../shared/http/cors.js';
import { json, methodNotAllowed, withErrors, type Handler, type HttpRequest } from '../../shared/http/handler.js';
import { silentLogger } from '../../shared/log/logger.js';

const APP = 'https://app.example';
const DEV = 'http://localhost:5173';

/** A read route (/seasons, with its own Vary), a route that throws (404), and 405 for other methods. */
const inner: Handler = async (req) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(['GET', 'HEAD']);
  if (req.path === '/missing') throw new NotFoundError('race', 'missing');
  return json(200, { seasons: [2024] }, { ETag: '"abc"', 'Cache-Control': 'public, max-age=60', Vary: 'Accept-Encoding' });
};
/** As wired: around the function's mapped errors, inside a mapper of its own refusal. */
const wired = (origins: readonly string[]) => withErrors(silentLogger, withCors(origins, withErrors(silentLogger, inner)));

const request = (method: string, path: string, headers: Record<string, string> = {}): HttpRequest => ({
  method,
  path,
  query: {},
  headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
});
const preflight = (origin: string, method = 'GET', headers?: string) =>
  request('OPTIONS', '/seasons', { Origin: origin, 'Access-Control-Request-Method': method, ...(headers ? { 'Access-Control-Request-Headers': headers } : {}) });

describe('withCors', () => {
  it('with no allowed origins is the handler itself: no CORS headers at all', async () => {
    expect(withCors([], inner)).toBe(inner);
  });

  it('lets an allowed origin read the answer and the headers it needs, and varies on Origin', async () => {
    const res = await wired([APP, DEV])(request('GET', '/seasons', { Origin: DEV }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ seasons: [2024] });
    expect(res.headers).toMatchObject({ 'Access-Control-Allow-Origin': DEV, Vary: 'Accept-Encoding, Origin', ETag: '"abc"' });
    expect(res.headers['Access-Control-Expose-Headers']!.split(', ')).toEqual(expect.arrayContaining(['ETag', 'Retry-After', 'Location']));
    expect(res.headers).not.toHaveProperty('Access-Control-Allow-Credentials');
  });

  it('error answers reach an allowed origin too, in the error shape', async () => {
    const res = await wired([APP])(request('GET', '/missing', { Origin: APP }));
    expect(res.status).toBe(404);
    expect(res.headers['Access-Control-Allow-Origin']).toBe(APP);
    expect(res.body).toMatchObject({ error: { code: 'not_found' } });
  });

  it('serves another origin as before, without Allow-Origin (the browser keeps it from the page)', async () => {
    const res = await wired([APP])(request('GET', '/seasons', { Origin: 'https://evil.example' }));
    expect(res.status).toBe(200);
    expect(res.headers).not.toHaveProperty('Access-Control-Allow-Origin');
    expect(res.headers).not.toHaveProperty('Access-Control-Expose-Headers');
    expect(res.headers.Vary).toBe('Accept-Encoding, Origin');
  });

  it('leaves requests without Origin as they were, but for Vary (a cache must not share across origins)', async () => {
    const res = await wired([APP])(request('GET', '/seasons'));
    expect(res.headers).toEqual({ ETag: '"abc"', 'Cache-Control': 'public, max-age=60', Vary: 'Accept-Encoding, Origin' });
  });

  it('answers an allowed preflight with 204: read methods, only the safe requested headers, a max age', async () => {
    const res = await wired([APP])(preflight(APP, 'GET', 'If-None-Match, X-API-Key, content-type'));
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect(res.headers).toMatchObject({
      'Access-Control-Allow-Origin': APP,
      'Access-Control-Allow-Methods': 'GET, HEAD',
      'Access-Control-Allow-Headers': 'if-none-match, content-type',
      'Access-Control-Max-Age': expect.stringMatching(/^\d+$/),
      Vary: 'Origin',
    });
  });

  it('names no Allow-Headers when none asked for is safe', async () => {
    const res = await wired([APP])(preflight(APP, 'GET', 'Authorization'));
    expect(res.status).toBe(204);
    expect(res.headers).not.toHaveProperty('Access-Control-Allow-Headers');
  });

  it('refuses a preflight from an origin not in the list: 403 naming the setting', async () => {
    const res = await wired([APP])(preflight('https://evil.example'));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('ALLOWED_ORIGINS') } });
    expect((res.body as { error: { message: string } }).error.message).toContain('https://evil.example');
    expect(res.headers).not.toHaveProperty('Access-Control-Allow-Origin');
  });

  it('hands a plain OPTIONS (no Access-Control-Request-Method) to the handler: 405 as before', async () => {
    const res = await wired([APP])(request('OPTIONS', '/seasons', { Origin: APP }));
    expect(res.status).toBe(405);
    expect(res.headers.Allow).toBe('GET, HEAD');
  });

  it('with * allows any origin with Allow-Origin * and no Vary of its own', async () => {
    const any = wired(['*']);
    const res = await any(request('GET', '/seasons', { Origin: 'https://anyone.example' }));
    expect(res.headers).toMatchObject({ 'Access-Control-Allow-Origin': '*', Vary: 'Accept-Encoding' });
    const pre = await any(preflight('https://anyone.example', 'GET', 'If-None-Match'));
    expect(pre.status).toBe(204);
    expect(pre.headers['Access-Control-Allow-Origin']).toBe('*');
    expect(pre.headers).not.toHaveProperty('Access-Control-Allow-Credentials');
  });
});

describe('ALLOWED_ORIGINS', () => {
  const origins = (v?: string) => parseConfig(v === undefined ? {} : { ALLOWED_ORIGINS: v }).allowedOrigins;
  const refusal = (v: string) => {
    try {
      origins(v);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error(`${v} was accepted`);
  };

  it('defaults to none', () => {
    expect(origins()).toEqual([]);
    expect(origins('')).toEqual([]);
  });

  it('takes exact origins, comma-separated, normalised as a browser sends them', () => {
    expect(origins(' https://A.example:443 , http://localhost:5173,https://a.example')).toEqual(['https://a.example', 'http://localhost:5173']);
  });

  it('takes * alone for any origin', () => {
    expect(origins('*')).toEqual(['*']);
    expect(refusal('*,https://a.example')).toMatch(/ALLOWED_ORIGINS: \* \(any origin\) must stand alone/);
  });

  it('refuses what is not an origin, naming the setting and the entry', () => {
    for (const bad of ['https://a.example/', 'https://a.example/app', 'a.example', 'ftp://a.example', 'https://user@a.example', 'https://a.example?x=1', 'null']) {
      expect(refusal(`http://localhost:5173,${bad}`)).toContain(`ALLOWED_ORIGINS: "${bad}" is not an origin: give scheme://host[:port]`);
    }
  });
});
