import fs from 'node:fs/promises';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { ingestFiles } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository } from '../../shared/repository/index.js';
import { backends } from '../helpers/databases.js';
import { startFakeGcs, type FakeGcs } from '../helpers/fake-gcs.js';
import { requireData } from '../helpers/settings.js';
import { writeSlicedDump, zipFolder } from './helpers.js';

const data = requireData();
const pglite = backends.find((b) => b.name === 'pglite')!;

// A dump under gs://, read by the real @google-cloud/storage client from the fake GCS JSON API.
describe.skipIf(data.skip)('Ergast dump from a gs:// URI', () => {
  let fake: FakeGcs;
  let storage: Storage;
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    fake = await startFakeGcs();
    storage = new Storage({ apiEndpoint: fake.endpoint, projectId: 'local' });
    dir = await writeSlicedDump([2024], 'csv');
    const bucket = storage.bucket('pitwall-dumps');
    // Single-request uploads: the fake speaks the media/multipart subset, not resumable.
    for (const name of await fs.readdir(dir)) {
      await bucket.file(`ergast/${name}`).save(await fs.readFile(path.join(dir, name)), { resumable: false });
    }
    await bucket.file('ergast.zip').save(await fs.readFile(await zipFolder(dir, 'ergast')), { resumable: false });
    db = await pglite.open();
  });
  afterAll(async () => {
    await db?.close();
    await fake?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('loads a folder of CSVs under a gs:// prefix, then finds nothing new in the zipped copy', async () => {
    const repo = createRepository(db.knex);
    const folder = await ingestFiles({ repo, logger: silentLogger, storage }, { dump: 'gs://pitwall-dumps/ergast' });
    expect(folder.runs[0]!.status).toBe('succeeded');
    const results = folder.runs[0]!.tables.results!;
    expect(results.inserted).toBeGreaterThan(400);

    const zipped = await ingestFiles({ repo, logger: silentLogger, storage }, { dump: 'gs://pitwall-dumps/ergast.zip' });
    expect(zipped.runs[0]!.tables.results).toMatchObject({ read: results.read, inserted: 0, updated: 0, unchanged: results.read });
  });

  it('names the missing object when the gs:// location has no dump', async () => {
    const repo = createRepository(db.knex);
    await expect(ingestFiles({ repo, logger: silentLogger, storage }, { dump: 'gs://pitwall-dumps/nothing-here' })).rejects.toThrow(/not an Ergast dump \(gs:\/\/pitwall-dumps\/nothing-here\): missing .*races/);
  });
});
