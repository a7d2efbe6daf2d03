import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../shared/db/postgres.js';
import { migrateLatest } from '../../shared/db/migrate.js';
import { createRepository } from '../../shared/repository/index.js';
import { createScratchDatabase } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData, requirePostgres } from '../helpers/settings.js';
import { cliBuilt, rawLines, runCli } from './run-cli.js';

const data = requireData();
const pg = requirePostgres();

/** pitwall backtest-championship as its own process over a small real database (2023–2024). */
describe.skipIf(data.skip || pg.skip || !cliBuilt)('pitwall backtest-championship', () => {
  let cwd: string;
  let db: { url: string; drop: () => Promise<void> };
  beforeAll(async () => {
    cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'pitwall-champ-'));
    db = await createScratchDatabase();
    const knex = openPostgres(db.url, 2);
    await migrateLatest(knex);
    await loadSeasons(createRepository(knex), [2023, 2024]);
    await knex.destroy();
  }, 240_000);
  afterAll(async () => {
    await fs.rm(cwd, { recursive: true, force: true });
    await db?.drop();
  });
  const env = () => ({ DATABASE_URL: db.url, PITWALL_ENV: 'local' });

  it('prints the log loss at a third, half and two thirds beside the baseline, P(champion) per round, and writes the JSON', { timeout: 300_000 }, async () => {
    const run = await runCli(['backtest-championship', '--from', '2024', '--to', '2024', '--warmup-from', '2023', '--samples', '300', '--json', 'out/champ.json'], { cwd, env: env(), deadlineMs: 280_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(rawLines(run.stderr)).toEqual([]);
    expect(run.stdout).toMatch(/^title odds 2024–2024: 300 simulated seasons/);
    expect(run.stdout).toMatch(/\npooled +\d+\.\d\d\/\d+\.\d\d/);
    const report = JSON.parse(await fs.readFile(path.join(cwd, 'out', 'champ.json'), 'utf8'));
    const season = report.seasons['2024'];
    expect(season.rounds).toBe(24);
    expect(season.perRound.map((r: { round: number }) => r.round)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    // After the last round the standings decide: the real champion has P = 1, the model says so.
    expect(season.perRound.at(-1).model.drivers).toBe(1);
    for (const k of ['third', 'half', 'twoThirds']) expect(Number.isFinite(report.pooled[k].drivers.model) && Number.isFinite(report.pooled[k].drivers.baseline)).toBe(true);
  });

  it('refuses bad flags saying what is expected', async () => {
    const run = await runCli(['backtest-championship', '--from', '2000', '--to', '2024'], { cwd, env: env(), deadlineMs: 60_000 });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--from must be 2003 or later/);
    const samples = await runCli(['backtest-championship', '--samples', '5'], { cwd, env: env(), deadlineMs: 60_000 });
    expect(samples.stderr).toMatch(/--samples must be an integer between 100 and 1000000/);
  });
});
