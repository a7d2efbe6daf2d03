import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactStore } from '../../shared/artifacts/create-store.js';
import { ingestFiles } from '../../shared/ingest/ingest.js';
import { replaySeason } from '../../shared/lifecycle/replay.js';
import { silentLogger } from '../../shared/log/logger.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { trainPitModel } from '../../shared/pits/train.js';
import { createRepository } from '../../shared/repository/index.js';
import { startStack } from '../api/stack.js';
import { artifactsDir, launchChromium, requireChromium } from '../helpers/browser.js';
import { backends } from '../helpers/databases.js';
import { dataDir, requireData } from '../helpers/settings.js';
import { loadSeasons } from '../helpers/dump-seasons.js';

const data = requireData();
const chromium = requireChromium();
// PostgreSQL when the suite has it (faster), else the embedded default.
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;
const ROUNDS = 3;

/**
 * The dashboard in headless Chromium against the local stack after a replay of the first
 * rounds of 2024 on real data: select a race, see the forecast, the result and the
 * metrics; every chart renders; nothing is fetched from outside the function.
 */
describe.skipIf(data.skip || chromium.skip)('dashboard in a real browser', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  const foreignRequests: string[] = [];

  beforeAll(async () => {
    db = await backend.open();
    const repo = createRepository(db.knex);
    await loadSeasons(repo, [2023, 2024]);
    // Real laps (FastF1) and a small pit model, so the pit view has something to show; 2023
    // gives the frozen forecasts their pre-race strategy.
    for (const season of [2023, 2024]) {
      const fastf1 = path.join(dataDir, 'laps', 'fastf1', 'armchair-strategist', `transformed_grand_prix_laps_${season}.csv`);
      await ingestFiles({ repo, logger: silentLogger }, { laps: fastf1 });
    }
    stack = await startStack(db, { now: new Date('2024-01-01T00:00:00Z') });
    await setupTensorflow({ prefer: 'wasm' });
    await trainPitModel(
      { repo, logger: silentLogger, artifacts: await createArtifactStore(stack.app.config.artifactStoreUri) },
      { trainSeasons: [2024, 2024], thresholdSeason: 2024, model: { window: 4, units: 4, hidden: 4 }, epochs: 1, batchSize: 256 },
    );
    const races = (await repo.races.listSeason(2024)).slice(0, ROUNDS);
    const report = await replaySeason({ baseUrl: stack.url, clock: stack.clock, policy: { kind: 'post_qualifying' }, races }, 2024);
    expect(report.races.every((r) => r.predictionId !== null && r.positionMae !== null)).toBe(true);
    browser = await launchChromium();
    context = browser.context;
    context.on('request', (r) => {
      if (!r.url().startsWith(stack.url)) foreignRequests.push(r.url());
    });
    fs.mkdirSync(artifactsDir, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.server.close();
    await db?.close();
  });

  const open = async (query = ''): Promise<Page> => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack.url}/${query}`);
    await page.waitForSelector('#forecast-chart[data-rendered="true"]', { timeout: 30_000 });
    expect(errors).toEqual([]);
    return page;
  };

  it('selects a race and shows its forecast, result with differences, and metrics', async () => {
    const page = await open();
    await page.selectOption('#season', '2024');
    const australia = (await page.locator('#race option', { hasText: 'Australian' }).getAttribute('value'))!;
    await page.selectOption('#race', australia);
    await expect.poll(() => page.textContent('#forecast-title')).toContain('Australian Grand Prix');

    const forecastRows = page.locator('#forecast-table tbody tr');
    await expect.poll(() => forecastRows.count()).toBeGreaterThanOrEqual(19);
    const first = await forecastRows.first().locator('td').allTextContents();
    expect(first[0]).toBe('1');
    expect(first[4]).toMatch(/^\d+\.\d%$/); // P(win) as a percentage
    await expect.poll(() => page.textContent('#forecast-meta')).toMatch(/Model version.*Frozen at.*inputs hash/s);
    expect(await page.textContent('#forecast-meta')).toMatch(/Pre-race strategy\s*\d stops?; first stop by start tyre: S lap \d+ · M lap \d+ · H lap \d+ \(of 58\)/);

    // The official result beside the forecast: Sainz won; every row marks its difference.
    const resultRows = page.locator('#result-table tbody tr');
    await expect.poll(() => resultRows.count()).toBeGreaterThanOrEqual(19);
    expect(await resultRows.first().textContent()).toContain('SAI');
    const deltas = await page.locator('#result-table td.diff-mark').evaluateAll((tds) => tds.map((t) => t.getAttribute('data-delta')));
    expect(deltas.filter((d) => d !== '').length).toBeGreaterThanOrEqual(19);
    expect(await page.locator('#result-table td.diff-mark.up, #result-table td.diff-mark.down').count()).toBeGreaterThan(0);

    await expect.poll(() => page.textContent('#race-metrics')).toMatch(/Position MAE\s*\d+\.\d{2} \(grid \d+\.\d{2}\)/);

    // The pit view: P(pit next lap) per driver and lap, with the actual stops marked.
    await page.waitForSelector('#pits-chart[data-rendered="true"]', { timeout: 30_000 });
    expect(await page.textContent('#pits-title')).toMatch(/Pit stops — model pit-/);
    expect(await page.locator('#pits-chart svg .mark-rect path').count()).toBeGreaterThan(19 * 50);
    expect(await page.locator('#pits-chart svg .mark-symbol path').count()).toBeGreaterThan(19);
    await page.locator('#pits-section').screenshot({ path: path.join(artifactsDir, 'dashboard-pits.png') });
    await page.screenshot({ path: path.join(artifactsDir, 'dashboard-australia-2024.png'), fullPage: true });
    await page.close();
  });

  it('renders every chart: probabilities, season accuracy against the grid, reliability', async () => {
    const page = await open();
    await page.waitForSelector('#season-chart[data-rendered="true"]');
    await expect.poll(() => page.locator('#reliability-charts .chart[data-rendered="true"]').count()).toBe(4);
    expect(await page.locator('#forecast-chart svg .mark-rect path').count()).toBeGreaterThanOrEqual(4 * 19);
    expect(await page.locator('#season-chart svg .mark-line path').count()).toBe(2); // model and grid baseline
    await expect.poll(() => page.textContent('#season-totals')).toContain(`Races evaluated${ROUNDS}`);
    await page.locator('#reliability-section').screenshot({ path: path.join(artifactsDir, 'dashboard-reliability.png') });
    expect(foreignRequests).toEqual([]);
    await page.close();
  });

  it('works from the keyboard and on a phone-sized screen', async () => {
    const page = await open();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('season');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('race');
    // Changing the race with the keyboard loads it.
    const before = await page.textContent('#forecast-title');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.textContent('#forecast-title')).not.toBe(before);

    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(artifactsDir, 'dashboard-phone.png'), fullPage: true });
    await page.close();
  });
});
