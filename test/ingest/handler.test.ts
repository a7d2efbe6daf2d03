import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { DEFAULT_ZIP_LIMITS } from '../../shared/config/config.js';
import { ingestFunction } from '../../shared/ingest/handler.js';
import { systemClock } from '../../shared/clock.js';
import { routesCaller } from '../helpers/call.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { emptier } from '../helpers/emptier.js';
import { requireData } from '../helpers/settings.js';
import { writeSlicedDump } from './helpers.js';

const data = requireData();
const backend = backends[0]!;

describe.skipIf(data.skip)('ingest function handler', () => {
  let db: Database;
  let dir: string;
  let empty: () => Promise<void>;
  const json = { 'content-type': 'application/json' };
  let roots = [os.tmpdir()];
  // No upstream or bucket is reached by these requests: the clients only fill the function's dependencies.
  const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not reached in this test')) });
  const ingest = () =>
    routesCaller(
      ingestFunction({
        repo: createRepository(db.knex),
        logger: silentLogger,
        clock: systemClock,
        ingest: { roots, buckets: ['pitwall-dumps'], zip: DEFAULT_ZIP_LIMITS },
        storage: unused as never,
        jolpica: unused as never,
        openf1: unused as never,
      }),
      { env: 'production', apiKey: 'k3y' },
    );
  const post = (body: unknown, headers: Record<string, string> = { 'x-api-key': 'k3y', ...json }) => ingest()({ method: 'POST', headers, body });
  beforeAll(async () => {
    db = await backend.open();
    dir = await writeSlicedDump([2024], 'csv');
    empty = await emptier(db.knex);
  });
  // Each test starts from an empty, migrated database (no ingestion run, no reference rows)
  // and the default INGEST_ROOTS, whatever the tests before it recorded or changed.
  beforeEach(async () => {
    roots = [os.tmpdir()];
    await empty();
  });
  afterAll(async () => {
    await db?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('refuses writes without the API key (401) and other methods (405)', async () => {
    expect((await post({ dump: dir }, json)).status).toBe(401);
    expect((await post({ dump: dir }, { 'x-api-key': 'nope', ...json })).status).toBe(401);
    expect((await ingest()({ method: 'GET' })).status).toBe(405);
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

  it('refuses a body that is not JSON by its Content-Type (415, JSON), form posts included', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain', undefined]) {
      const headers: Record<string, string> = { 'x-api-key': 'k3y', ...(type ? { 'content-type': type } : {}) };
      const res = await post({ laps: dir }, headers);
      expect(res.status, type).toBe(415);
      expect(res.body, type).toMatchObject({ error: { code: 'unsupported_media_type', message: expect.stringMatching(/application\/json/) } });
    }
    expect((await post({ dump: `${dir}-missing` }, { 'x-api-key': 'k3y', 'content-type': 'application/json; charset=utf-8' })).status).toBe(400);
  });

  describe('paths', () => {
    let scratch: string;
    beforeAll(async () => {
      scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-paths-'));
      await fs.symlink('/etc/passwd', path.join(scratch, 'passwd.csv'));
      await fs.symlink('/etc', path.join(scratch, 'etc'));
    });
    afterAll(async () => {
      await fs.rm(scratch, { recursive: true, force: true });
    });
    const refused = async (body: unknown, pattern: RegExp) => {
      const before = (await createRepository(db.knex).ingestionRuns.latest(1))[0]?.id;
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const message = (res.body as { error: { message: string } }).error.message;
      expect(message, JSON.stringify(body)).toMatch(pattern);
      expect(message).not.toMatch(/root:|\/bin\/(ba)?sh/);
      return { message, runBefore: before };
    };

    it('reads local paths only under INGEST_ROOTS, symbolic links resolved, and says what to do', async () => {
      for (const body of [{ laps: '/dev/null' }, { laps: '/etc/passwd' }, { openf1Sessions: '/etc/passwd', laps: dir }, { dump: '/etc' }, { dump: `${os.tmpdir()}/../etc` }]) {
        const { runBefore } = await refused(body, /outside the folders ingest reads.*INGEST_ROOTS/);
        // Refused before a run is started.
        expect((await createRepository(db.knex).ingestionRuns.latest(1))[0]?.id).toBe(runBefore);
      }
      await refused({ laps: path.join(scratch, 'passwd.csv') }, /outside the folders/);
      await refused({ dump: path.join(scratch, 'etc') }, /outside the folders/);
      // A dump folder inside a root whose results.csv links out of it.
      const linked = path.join(scratch, 'linked-dump');
      await fs.cp(dir, linked, { recursive: true });
      await fs.rm(path.join(linked, 'results.csv'));
      await fs.symlink('/etc/passwd', path.join(linked, 'results.csv'));
      await refused({ dump: linked }, /results\.csv in .* links outside the folder: copy the file in instead/);
    });

    it('reads gs:// only from an allowed bucket, and a dump only', async () => {
      await refused({ dump: 'gs://someone-elses/dump.zip' }, /bucket someone-elses is not one ingest reads.*INGEST_BUCKETS/);
      await refused({ laps: 'gs://pitwall-dumps/laps' }, /gs:\/\/ is read only for a dump/);
    });

    it('inside a root, a device, a non-lap file and a non-JSON sessions file are 400s that never quote the file', async () => {
      roots = [os.tmpdir(), '/etc', '/dev'];
      await refused({ laps: '/dev/null' }, /a lap file or a folder of them/);
      await refused({ laps: '/etc/passwd' }, /not a recognised lap file: expected/);
      await refused({ laps: dir, openf1Sessions: '/etc/passwd' }, /openf1Sessions .* is not JSON/);
      await refused({ laps: dir, openf1Sessions: '/dev/null' }, /not a regular file/);
    });
  });
});
