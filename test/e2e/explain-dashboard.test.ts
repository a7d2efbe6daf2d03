import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRace } from '../../shared/lifecycle/predict.js';
import { setupTensorflow } from '../../shared/models/tf.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { atFreeze, startStack } from '../api/stack.js';
import { artifactsDir, launchChromium, requireChromium } from '../helpers/browser.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { handForecaster } from '../helpers/hand-model.js';
import { requireData } from '../helpers/settings.js';

const data = requireData();
const chromium = requireChromium();
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;

/**
 * The race view's reasons, teammates' head-to-head and what-if form in headless Chromium, over
 * Monaco 2024 frozen by a small hand-built model on the real data (the built dist/ dashboard).
 */
describe.skipIf(data.skip || chromium.skip)('forecast reasons, head to head and what-if in a real browser', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let repo: Repository;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let monacoId: number;

  beforeAll(async () => {
    await setupTensorflow({ prefer: 'cpu' });
    db = await backend.open();
    repo = createRepository(db.knex);
    await loadSeasons(repo, [2023, 2024]);
    stack = await startStack(db, { forecaster: await handForecaster(repo) });
    monacoId = (await findRace(repo, { year: 2024, race: 'Monaco' })).id;
    await atFreeze(stack, 2024, 'Monaco');
    expect((await fetch(`${stack.url}/predict?year=2024&race=Monaco`, { method: 'POST' })).status).toBe(201);
    stack.clock.set(new Date('2025-01-01T00:00:00Z'));
    browser = await launchChromium();
    context = browser.context;
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.server.close();
    await db?.close();
  });

  it('shows each row’s reasons in words, the teammates’ odds, and a what-if that is never stored', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack.url}/?season=2024&race=${monacoId}`);
    await page.waitForSelector('#forecast-chart[data-rendered="true"]', { timeout: 30_000 });

    const why = page.locator('#forecast-table td.why details.reasons');
    expect(await why.count()).toBeGreaterThan(5);
    await why.first().locator('summary').click();
    // The whole departure from the grid comes first and is the summary's direction; the reasons under it.
    const overall = await why.first().locator('p.overall').innerText();
    expect(overall).toMatch(/^in all: (≈ \d+\.\d places? (better|worse) than|no real effect, as) the grid suggests \(expected position \d+\.\d, against \d+\.\d from the grid slot alone\)$/);
    expect(await why.first().locator('summary').innerText()).toContain(overall.includes('better') ? '▲' : overall.includes('worse') ? '▼' : '=');
    expect(await why.first().locator('li').first().innerText()).toMatch(/: .+, ≈ \d+\.\d places? (better|worse) than the grid suggests/);

    await page.waitForSelector('#teammates:not([hidden])');
    expect(await page.locator('#teammates tbody tr').count()).toBe(10);
    for (const p of await page.locator('#teammates tbody td.prob').allInnerTexts()) expect(Number(p.replace('%', ''))).toBeGreaterThanOrEqual(50);

    const stored = await repo.predictions.count();
    const pole = (await repo.reference.qualifying(monacoId)).find((q) => q.position === 1)!;
    await page.selectOption('#what-if select[name=driver]', String(pole.driverId));
    await page.selectOption('#what-if select[name=kind]', 'gridPenalty');
    await page.fill('#what-if input[name=n]', '10');
    await page.click('#what-if button[type=submit]');
    await page.waitForSelector('#what-if-result table');
    const text = await page.locator('#what-if-result').innerText();
    expect(text).toMatch(/10-place grid penalty/);
    expect(text).toMatch(/P1 → P11/);
    expect(text).toMatch(/not stored/);
    expect(await repo.predictions.count()).toBe(stored);
    expect(errors).toEqual([]);
    fs.mkdirSync(artifactsDir, { recursive: true });
    await page.locator('#forecast-section').screenshot({ path: path.join(artifactsDir, 'forecast-reasons.png') });

    // On a phone the probabilities stay on screen; the reasons scroll with the table.
    await page.setViewportSize({ width: 400, height: 844 });
    for (const r of await page.locator('#forecast-table tbody td.prob').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().right))) expect(r).toBeLessThanOrEqual(400);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  });
});
