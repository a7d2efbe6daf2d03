import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres } from '../../shared/db/postgres.js';
import { migrateLatest } from '../../shared/db/migrate.js';
import { createRepository } from '../../shared/repository/index.js';
import { artifactsDir, launchChromium, requireChromium } from '../helpers/browser.js';
import { createScratchDatabase } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { dataDir, requireData, requirePostgres } from '../helpers/settings.js';

const data = requireData();
const chromium = requireChromium();
const postgres = requirePostgres();
const cli = path.resolve(import.meta.dirname, '../../dist/shared/cli/main.js');

/**
 * The first start as a new user meets it: the built `pitwall serve` on a database that has
 * data but no forecast yet. It must forecast the latest season race by race (each race frozen
 * before it, by nothing that had seen it), score it, and open the dashboard on it. The data is
 * loaded beforehand (two seasons, not the whole dump) and training is skipped (--no-train: the
 * qualifying-order baseline forecasts), so this runs in seconds; the rest is the real command.
 */
describe.skipIf(data.skip || chromium.skip || postgres.skip)('a fresh start in a real browser', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let server: ChildProcess;
  let url: string;
  const logs: Record<string, unknown>[] = [];
  const stray: string[] = [];
  let exited: Promise<number | null>;

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    const knex = openPostgres(scratch.url, 2);
    await migrateLatest(knex);
    await loadSeasons(createRepository(knex), [2023, 2024]);
    await knex.destroy();
    const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-first-start-'));
    server = spawn(process.execPath, [cli, 'serve', '--port', '0', '--no-train'], {
      env: { PATH: process.env.PATH, PITWALL_ENV: 'local', DATABASE_URL: scratch.url, F1_DATA_DIR: dataDir, ARTIFACT_STORE_URI: artifacts, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
    url = await new Promise<string>((resolve, reject) => {
      let buffer = '';
      server.stderr!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          try {
            const entry = JSON.parse(line) as Record<string, unknown>;
            logs.push(entry);
            if (typeof entry.url === 'string' && String(entry.message).startsWith('pitwall listening')) resolve(entry.url);
          } catch {
            stray.push(line);
          }
        }
      });
      server.stdout!.on('data', (chunk: Buffer) => stray.push(chunk.toString()));
      server.once('exit', (code) => reject(new Error(`pitwall serve exited with ${code}: ${JSON.stringify(logs.slice(-5))}`)));
    });
  }, 300_000);

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await scratch?.drop();
  });

  it('forecasts and scores the latest season before it serves, and says so in its logs', async () => {
    expect(logs.some((l) => String(l.message).startsWith('first start: forecasting the 2024 season'))).toBe(true);
    const done = logs.find((l) => String(l.message) === 'first start: 2024 forecast and scored') as { totals: { races: number } } | undefined;
    expect(done?.totals.races).toBe(24);
    // Off a terminal: JSON lines only, nothing printed among them.
    expect(stray).toEqual([]);
    const races = (await (await fetch(`${url}/races?season=2024`)).json()).races as { freezeStatus: string; predictionId: number | null }[];
    expect(races.every((r) => r.freezeStatus === 'frozen' && r.predictionId !== null)).toBe(true);
    const health = await (await fetch(`${url}/health`)).json();
    expect(health.checks.model.detail).toMatch(/^qualifying-order-v1: a baseline/);
  });

  it('opens on that season: a forecast with its result, the season accuracy and the reliability', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setViewportSize({ width: 1400, height: 1000 });
      await page.goto(`${url}/`);
      await page.waitForSelector('#forecast-chart[data-rendered="true"]', { timeout: 30_000 });
      expect(await page.inputValue('#season')).toBe('2024');
      await expect.poll(() => page.locator('#forecast-table tbody tr').count()).toBeGreaterThanOrEqual(19);
      await expect.poll(() => page.locator('#result-table tbody tr').count()).toBeGreaterThanOrEqual(19);
      await expect.poll(() => page.textContent('#forecast-lead')).toMatch(/replay with a simulated clock; recorded/);
      await expect.poll(() => page.textContent('#season-totals')).toMatch(/24/);
      await page.waitForSelector('#reliability-charts svg, #reliability-charts canvas', { timeout: 30_000 });
      expect(await page.locator('#forecast-section').textContent()).not.toMatch(/No frozen forecast/);
      // No race lies ahead in the data: the page says why, not just that the list is empty.
      expect(await page.textContent('#upcoming')).toMatch(/the data ends with Abu Dhabi Grand Prix 2024; ingest the current calendar/);
      fs.mkdirSync(artifactsDir, { recursive: true });
      await page.screenshot({ path: path.join(artifactsDir, 'first-start-1400.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('logs its shutdown and exits 0 on SIGTERM', async () => {
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logs.map((l) => l.message)).toEqual(expect.arrayContaining(['shutting down (SIGTERM)', 'stopped']));
  });
});
