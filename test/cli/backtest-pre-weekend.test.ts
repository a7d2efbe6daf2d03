import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLatest } from '../../shared/db/migrate.js';
import { createRepository } from '../../shared/repository/index.js';
import { createScratchDatabase, type Knex } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData, testDatabaseUrl } from '../helpers/settings.js';
import { cliBuilt, rawLines, runCli } from './run-cli.js';
import knexFactory from 'knex';

const data = requireData();

describe.skipIf(data.skip || !cliBuilt || !testDatabaseUrl)('pitwall backtest-pre-weekend over the real 2022–2024 data', () => {
  let cwd: string;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  beforeAll(async () => {
    cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-pre-weekend-'));
    scratch = await createScratchDatabase();
    const knex: Knex = knexFactory({ client: 'pg', connection: scratch.url });
    try {
      await migrateLatest(knex);
      await loadSeasons(createRepository(knex), [2022, 2023, 2024]);
    } finally {
      await knex.destroy();
    }
  }, 300_000);
  afterAll(async () => {
    await fs.rm(cwd, { recursive: true, force: true });
    await scratch?.drop();
  });

  it('prints the model beside both baselines, pooled and per season, with the goal, and writes the report', async () => {
    const run = await runCli(['backtest-pre-weekend', '--from', '2024', '--to', '2024', '--warmup-from', '2023', '--json', 'pw.json'], { cwd, env: { DATABASE_URL: scratch.url }, deadlineMs: 240_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(rawLines(run.stderr)).toEqual([]);
    expect(run.stdout).toMatch(/pre-weekend forecasts 2024–2024, 24 races/);
    expect(run.stdout).toMatch(/model\s+championship order\s+previous race/);
    const season = run.stdout.split('\n').find((l) => l.startsWith('2024'))!;
    expect(season).toMatch(/^2024\s+24\s+\d\.\d{3} \/ \d\.\d{3} \/ \d\.\d{3}\s+[✓✗]\s+\d\.\d{2} \/ \d\.\d{2} \/ \d\.\d{2}\s+[✓✗]$/);
    expect(run.stdout).toMatch(/goal winnerNll: pooled (NOT )?better than both baselines; better in [01] of 1 seasons/);
    const report = JSON.parse(await fs.readFile(path.join(cwd, 'pw.json'), 'utf8'));
    for (const c of ['model', 'championshipOrder', 'previousRace']) {
      expect(report.pooled[c].races.value).toBe(24);
      expect(report.pooled[c].winnerNll.value).toBeGreaterThan(0);
      expect(report.pooled[c].positionMae.value).toBeGreaterThan(0);
    }
    // The baselines are not the model: they differ from it, and from each other.
    expect(report.pooled.model.positionMae.value).not.toBe(report.pooled.championshipOrder.positionMae.value);
    expect(report.pooled.previousRace.positionMae.value).not.toBe(report.pooled.championshipOrder.positionMae.value);
  }, 300_000);

  it('says which seasons it lacks', async () => {
    const run = await runCli(['backtest-pre-weekend', '--from', '2024', '--to', '2024', '--warmup-from', '2015'], { cwd, env: { DATABASE_URL: scratch.url } });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/lacks the results of 2015–2024/);
  }, 60_000);
});
