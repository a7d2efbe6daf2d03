import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../shared/db/connect.js';
import { migrateLatest } from '../../shared/db/migrate.js';
import { openPostgres } from '../../shared/db/postgres.js';
import { ingestFiles } from '../../shared/ingest/ingest.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { backends, createScratchDatabase, type Knex } from '../helpers/databases.js';
import { requireData, requirePostgres } from '../helpers/settings.js';
import { writeSlicedDump } from '../ingest/helpers.js';

/**
 * A run whose process died stays 'running' with no heartbeat: the next run marks it failed
 * and removes its quarantined rows and notes, so re-running the same input records them
 * once, not twice. A run that is still beating is left alone.
 */

const data = requireData();

/** The dump with one results row the loader quarantines (grid beyond integer). */
async function dumpWithOneBadRow(): Promise<string> {
  const dir = await writeSlicedDump([2024], 'csv');
  const file = path.join(dir, 'results.csv');
  const lines = (await fs.readFile(file, 'utf8')).split('\n');
  lines[1] = lines[1]!.replace(/^((?:[^,]*,){5})[^,]*/, '$199999999999');
  await fs.writeFile(file, lines.join('\n'));
  return dir;
}

const quarantinedCount = async (knex: Knex) => Number((await knex('quarantined_rows').count({ n: '*' }))[0]!.n);

for (const backend of backends) {
  describe.skipIf(backend.skip || data.skip)(`a dead ingestion run (${backend.name})`, () => {
    let db: Database;
    let repo: Repository;
    let dir: string;
    beforeAll(async () => {
      db = await backend.open();
      repo = createRepository(db.knex);
      dir = await dumpWithOneBadRow();
    });
    afterAll(async () => {
      await db?.close();
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    });

    it('is marked failed by the next run, and the re-run does not duplicate its quarantined rows', async () => {
      // What a run killed mid-load leaves: 'running', its quarantined rows and notes recorded, silent since.
      const dead = await repo.ingestionRuns.start('dump', { dump: dir });
      await repo.ingestionRuns.quarantine([{ runId: dead.id, source: 'dump', tableName: 'results', raw: { grid: 99999999999 }, reason: 'grid: out of range' }]);
      await repo.ingestionRuns.note([{ runId: dead.id, kind: 'corrected', tableName: 'qualifying', raw: {}, corrected: {}, reason: 'x' }]);
      await db.knex.raw(`UPDATE ingestion_runs SET heartbeat_at = now() - interval '20 minutes' WHERE id = ?`, [dead.id]);
      // One still alive (it beat a moment ago) with its own row.
      const alive = await repo.ingestionRuns.start('laps', {});
      await repo.ingestionRuns.quarantine([{ runId: alive.id, source: 'laps', tableName: 'laps', raw: {}, reason: 'kept' }]);

      const { runs } = await ingestFiles({ repo, logger: silentLogger }, { dump: dir });
      expect(runs[0]!.status).toBe('succeeded');
      expect(await repo.ingestionRuns.byId(dead.id)).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/^the process running it stopped \(no heartbeat since .*\); marked failed by a later run, its quarantined rows removed/),
      });
      expect(await repo.ingestionRuns.quarantined(dead.id)).toEqual([]);
      expect(await repo.ingestionRuns.notes(dead.id)).toEqual([]);
      expect((await repo.ingestionRuns.byId(alive.id))!.status).toBe('running');
      expect(await repo.ingestionRuns.quarantined(alive.id)).toHaveLength(1);
      // The input's one bad row is recorded once: by the run that loaded it.
      expect((await repo.ingestionRuns.quarantined(runs[0]!.runId)).map((q) => q.reason)).toEqual(['grid: out of range for an integer column']);
      expect(await quarantinedCount(db.knex)).toBe(2);
    });

    it('a finished run is never reaped, however old', async () => {
      const before = await repo.ingestionRuns.latest(10);
      await db.knex.raw(`UPDATE ingestion_runs SET heartbeat_at = now() - interval '1 day' WHERE status <> 'running'`);
      expect(await repo.ingestionRuns.reapDead(60)).toEqual([]);
      expect(await repo.ingestionRuns.latest(10)).toEqual(before);
    });
  });
}

describe.skipIf(requirePostgres().skip || data.skip)('a killed ingest process (PostgreSQL)', () => {
  let scratch: { url: string; drop: () => Promise<void> };
  let knex: Knex;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    scratch = await createScratchDatabase();
    knex = openPostgres(scratch.url, 2);
    await migrateLatest(knex);
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await knex?.destroy();
    await scratch?.drop();
  });

  it('beats while alive, is left alone then, and is marked failed once killed and silent', async () => {
    const repo = createRepository(knex);
    child = spawn(path.resolve('node_modules/.bin/vite-node'), [path.resolve(import.meta.dirname, 'ingest-dead-run-child.ts'), scratch.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (b: Buffer) => String(b).includes('started') && resolve());
      child!.on('exit', (code) => reject(new Error(`child exited ${code}`)));
    });
    const [run] = await repo.ingestionRuns.latest(1);
    expect(run!.status).toBe('running');
    await repo.ingestionRuns.quarantine([{ runId: run!.id, source: 'dump', tableName: 'results', raw: {}, reason: 'from the killed run' }]);
    const beat = async () => (await knex('ingestion_runs').where({ id: run!.id }).first()).heartbeat_at as Date;
    const first = await beat();
    await new Promise((r) => setTimeout(r, 700));
    expect((await beat()).getTime()).toBeGreaterThan(first.getTime());
    // Alive: a run that counts silence over 1 s as death leaves it alone.
    expect(await repo.ingestionRuns.reapDead(1)).toEqual([]);

    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    await new Promise((r) => setTimeout(r, 1500));
    expect(await repo.ingestionRuns.reapDead(1)).toEqual([{ id: run!.id, droppedRows: 1 }]);
    expect(await repo.ingestionRuns.byId(run!.id)).toMatchObject({ status: 'failed', error: expect.stringMatching(/process running it stopped/) });
    expect(await repo.ingestionRuns.quarantined(run!.id)).toEqual([]);
  }, 60_000);
});
