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

/** One `pitwall serve` process: its address, what it logged (JSON lines) and anything else it printed. */
interface Serve {
  process: ChildProcess;
  url: string;
  logs: Record<string, unknown>[];
  stray: string[];
  exited: Promise<number | null>;
  running: boolean;
}

function startServe(databaseUrl: string, artifacts: string): Promise<Serve> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--no-train'], {
    env: { PATH: process.env.PATH, PITWALL_ENV: 'local', DATABASE_URL: databaseUrl, F1_DATA_DIR: dataDir, ARTIFACT_STORE_URI: artifacts, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stray: string[] = [];
  const handle = { process: child, logs, stray, running: true } as Omit<Serve, 'url' | 'exited'> & Partial<Serve>;
  handle.exited = new Promise((resolve) =>
    child.once('exit', (code) => {
      handle.running = false;
      resolve(code);
    }),
  );
  return new Promise<Serve>((resolve, reject) => {
    let buffer = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (typeof entry.url === 'string' && String(entry.message).startsWith('pitwall listening')) {
            handle.url = entry.url;
            resolve(handle as Serve);
          }
        } catch {
          stray.push(line);
        }
      }
    });
    child.stdout!.on('data', (chunk: Buffer) => stray.push(chunk.toString()));
    child.once('exit', (code) => reject(new Error(`pitwall serve exited with ${code}: ${JSON.stringify(logs.slice(-5))}`)));
  });
}

/**
 * The first start as a new user meets it: the built `pitwall serve` on a database that has
 * data but no forecast yet. It must forecast the latest season race by race (each race frozen
 * before it, by nothing that had seen it), score it, and open the dashboard on it. The data is
 * loaded beforehand (two seasons, not the whole dump) and training is skipped (--no-train: the
 * qualifying-order baseline forecasts), so this runs in seconds; the rest is the real command.
 *
 * The first start runs once (beforeAll) and its logs stay `firstStart`'s. The shutdown test
 * stops that process; a test that needs a server calls `serving()`, which starts `pitwall serve`
 * again on the same database (a restart: the forecasts are there) only if the shutdown test
 * already ran, so no test depends on running before or after it.
 */
describe.skipIf(data.skip || chromium.skip || postgres.skip)('a fresh start in a real browser', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let artifacts: string;
  let firstStart: Serve;
  let current: Serve | undefined;

  async function serving(): Promise<Serve> {
    if (current?.running && !current.process.killed) return current;
    if (current?.running) await current.exited;
    current = await startServe(scratch.url, artifacts);
    return current;
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    const knex = openPostgres(scratch.url, 2);
    await migrateLatest(knex);
    await loadSeasons(createRepository(knex), [2023, 2024]);
    await knex.destroy();
    artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-first-start-'));
    firstStart = current = await startServe(scratch.url, artifacts);
  }, 300_000);

  afterAll(async () => {
    for (const s of new Set([firstStart, current])) if (s?.running) s.process.kill('SIGKILL');
    await scratch?.drop();
    if (artifacts) fs.rmSync(artifacts, { recursive: true, force: true });
  });

  it('forecasts and scores the latest season before it serves, and says so in its logs', async () => {
    const { logs, stray } = firstStart;
    expect(logs.some((l) => String(l.message).startsWith('first start: forecasting the 2024 season'))).toBe(true);
    const done = logs.find((l) => String(l.message) === 'first start: 2024 forecast and scored') as { totals: { races: number } } | undefined;
    expect(done?.totals.races).toBe(24);
    // Off a terminal: JSON lines only, nothing printed among them.
    expect(stray).toEqual([]);
    const { url } = await serving();
    const races = (await (await fetch(`${url}/races?season=2024`)).json()).races as { freezeStatus: string; predictionId: number | null }[];
    expect(races.every((r) => r.freezeStatus === 'frozen' && r.predictionId !== null)).toBe(true);
    const health = await (await fetch(`${url}/health`)).json();
    expect(health.checks.model.detail).toMatch(/^qualifying-order-v1: a baseline/);
  });

  it('opens on that season: a forecast with its result, the season accuracy and the reliability', async () => {
    const { url } = await serving();
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
      // At a glance: the season as it stood after round 21 (the calendar has ended), filled from the replay.
      await page.waitForSelector('#glance-section[data-rendered="true"]', { timeout: 60_000 });
      expect(await page.textContent('#glance-note')).toMatch(/^The calendar ends with Abu Dhabi Grand Prix 2024: showing the season as it stood after round 21/);
      expect(await page.locator('#glance-last .glance-card').count()).toBe(3);
      expect(await page.locator('#glance-last .glance-card', { hasText: /Position MAE\d+\.\d\d \(grid \d+\.\d\d\)/ }).count()).toBe(3);
      expect(await page.locator('#glance-next .glance-card .bars li:not(.bars-head)').count()).toBe(15);
      expect(await page.locator('#glance-odds .bars li:not(.bars-head)').count()).toBe(10);
      fs.mkdirSync(artifactsDir, { recursive: true });
      await page.screenshot({ path: path.join(artifactsDir, 'first-start-1400.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('logs its shutdown and exits 0 on SIGTERM', async () => {
    // Always the process that made the first start: only this test stops a server.
    const server = await serving();
    expect(server).toBe(firstStart);
    server.process.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.logs.map((l) => l.message)).toEqual(expect.arrayContaining(['shutting down (SIGTERM)', 'stopped']));
  });
});
