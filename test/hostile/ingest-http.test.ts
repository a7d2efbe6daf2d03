import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { backends } from '../helpers/databases.js';
import { startStack } from '../api/stack.js';

/**
 * POST /ingest over real HTTP (functions-framework parses the body): form posts are refused
 * with 415 before anything else, and paths outside INGEST_ROOTS are 400s that say what to do
 * and never quote a file.
 */

const backend = backends[0]!;

describe('POST /ingest over HTTP', () => {
  let db: Database;
  let root: string;
  let stack: Awaited<ReturnType<typeof startStack>>;
  beforeAll(async () => {
    db = await backend.open();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-root-'));
    stack = await startStack(db, { env: { INGEST_ROOTS: root } });
  });
  afterAll(async () => {
    await stack?.server.close();
    await db?.close();
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  const post = (body: string, type: string) => fetch(`${stack.url}/ingest`, { method: 'POST', headers: { 'content-type': type }, body });

  it('refuses an HTML form post (urlencoded, no preflight needed) with a JSON 415', async () => {
    for (const [body, type] of [['laps=%2Fetc%2Fpasswd', 'application/x-www-form-urlencoded'], ['{"laps":"/etc/passwd"}', 'text/plain']] as const) {
      const res = await post(body, type);
      expect(res.status, type).toBe(415);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(await res.json()).toMatchObject({ error: { code: 'unsupported_media_type', message: expect.stringMatching(/send Content-Type: application\/json/) } });
    }
  });

  it('answers 400, never 500 and never the file, for /dev/null, /etc/passwd and a sessions file outside the roots', async () => {
    for (const body of [{ laps: '/dev/null' }, { laps: '/etc/passwd' }, { laps: root, openf1Sessions: '/etc/passwd' }]) {
      const res = await post(JSON.stringify(body), 'application/json');
      expect(res.status, JSON.stringify(body)).toBe(400);
      const text = await res.text();
      expect(text).not.toMatch(/root:/);
      // The caller's own value is echoed; the server's folders are not.
      expect(text).not.toContain(path.resolve(root));
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'invalid_request', message: expect.stringMatching(/outside the folders ingest reads \(INGEST_ROOTS, 1 folder\); put the files under one of them/) } });
    }
    expect(await stack.app.repo.ingestionRuns.latest(1)).toEqual([]);
  });
});
