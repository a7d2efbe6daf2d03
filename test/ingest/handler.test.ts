import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { handleIngest } from '../../shared/ingest/handler.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { writeSlicedDump } from './helpers.js';

const data = requireData();
const backend = backends[0]!;

describe.skipIf(data.skip)('ingest function handler', () => {
  let db: Database;
  let dir: string;
  const deps = () => ({ repo: createRepository(db.knex), logger: silentLogger, auth: { env: 'production' as const, apiKey: 'k3y' } });
  const post = (body: unknown, headers: Record<string, string> = { 'x-api-key': 'k3y' }) =>
    handleIngest(deps(), { method: 'POST', headers, body });
  beforeAll(async () => {
    db = await backend.open();
    dir = await writeSlicedDump([2024], 'csv');
  });
  afterAll(async () => {
    await db?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses writes without the API key (401) and other methods (405)', async () => {
    expect((await post({ dump: dir }, {})).status).toBe(401);
    expect((await post({ dump: dir }, { 'x-api-key': 'nope' })).status).toBe(401);
    expect((await handleIngest(deps(), { method: 'GET', headers: {}, body: undefined })).status).toBe(405);
    expect(await createRepository(db.knex).ingestionRuns.latest(1)).toEqual([]);
  });

  it('answers 400 with the zod issues for a bad body, before touching the database', async () => {
    for (const body of [{}, { dump: 42 }, { dump: dir, extra: true }, { laps: '' }, 'not json']) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect(await createRepository(db.knex).ingestionRuns.latest(1)).toEqual([]);
  });

  it('answers 400 for a dump that does not exist, recording the failed run', async () => {
    const res = await post({ dump: `${dir}-missing` });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { message: expect.stringMatching(/dump not found/) } });
    const [run] = await createRepository(db.knex).ingestionRuns.latest(1);
    expect(run!.status).toBe('failed');
  });

  it('ingests a dump and returns the per-table summary', async () => {
    const res = await post({ dump: dir });
    expect(res.status).toBe(200);
    const body = res.body as { runs: { status: string; tables: Record<string, { read: number; inserted: number }> }[] };
    expect(body.runs[0]!.status).toBe('succeeded');
    expect(body.runs[0]!.tables.results!.inserted).toBe(body.runs[0]!.tables.results!.read);
    expect((await createRepository(db.knex).reference.rowCounts()).results).toBe(body.runs[0]!.tables.results!.read);
  });
});
