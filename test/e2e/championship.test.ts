import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaySeason } from '../../shared/lifecycle/replay.js';
import { createRepository } from '../../shared/repository/index.js';
import { startStack } from '../api/stack.js';
import { artifactsDir, launchChromium, requireChromium } from '../helpers/browser.js';
import { backends } from '../helpers/databases.js';
import { requireData } from '../helpers/settings.js';
import { loadSeasons } from '../helpers/dump-seasons.js';

const data = requireData();
const chromium = requireChromium();
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;
const ROUNDS = 3;

/**
 * The title odds on the season view in headless Chromium, after a replay of the first rounds of
 * 2024 on real data: the replay's result syncs compute the odds (lifecycle/championship-odds.ts),
 * the chart draws P(title) after each round and the table the latest round, on a phone too.
 */
describe.skipIf(data.skip || chromium.skip)('championship odds in a real browser', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    db = await backend.open();
    const repo = createRepository(db.knex);
    await loadSeasons(repo, [2023, 2024]);
    stack = await startStack(db, { now: new Date('2024-01-01T00:00:00Z') });
    const races = (await repo.races.listSeason(2024)).slice(0, ROUNDS);
    await replaySeason({ baseUrl: stack.url, clock: stack.clock, policy: { kind: 'post_qualifying' }, races }, 2024);
    browser = await launchChromium();
    fs.mkdirSync(artifactsDir, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.server.close();
    await db?.close();
  });

  const open = async (width: number): Promise<Page> => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width, height: 900 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack.url}/?season=2024`);
    await page.waitForSelector('#championship-drivers-chart[data-rendered="true"]', { timeout: 30_000 });
    await page.waitForSelector('#championship-constructors-chart[data-rendered="true"]', { timeout: 30_000 });
    expect(errors).toEqual([]);
    return page;
  };

  it('draws P(title) after each replayed round and the latest table, as the API has them', async () => {
    const body = await (await fetch(`${stack.url}/championship/2024`)).json();
    expect(body.round).toBe(ROUNDS);
    const page = await open(1400);
    expect(await page.locator('#championship-title').textContent()).toContain('2024');
    expect(await page.locator('#championship-note').textContent()).toContain(`After round ${ROUNDS}`);
    const lines = Number(await page.locator('#championship-drivers-chart').getAttribute('data-lines'));
    expect(lines).toBeGreaterThanOrEqual(1);
    // One point per charted driver per round, and the rounds 1..ROUNDS on the x axis.
    expect(await page.locator('#championship-drivers-chart svg g.mark-symbol.role-mark path').count()).toBe(lines * ROUNDS);
    const tickLabels = await page.locator('#championship-drivers-chart svg .role-axis-label text').allTextContents();
    for (let r = 1; r <= ROUNDS; r++) expect(tickLabels).toContain(String(r));
    // The table's favourite and its P(title) are the API's.
    const first = page.locator('#championship-tables table').first().locator('tbody tr').first();
    expect(await first.locator('td').first().textContent()).toContain(body.drivers[0].code);
    expect(await first.locator('td').nth(2).textContent()).toBe(`${(body.drivers[0].pTitle * 100).toFixed(1)}%`);
    expect(await page.locator('#championship-tables table').nth(1).locator('tbody tr').count()).toBe(body.constructors.length);
    await page.screenshot({ path: path.join(artifactsDir, 'championship-1400.png'), fullPage: true });
    await page.close();
  });

  it('fits a 400 px phone screen: charts and tables within the width, no sideways scroll', async () => {
    const page = await open(400);
    for (const selector of ['#championship-drivers-chart', '#championship-constructors-chart', '#championship-tables table']) {
      const boxes = await page.locator(selector).evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, width: r.width })));
      expect(boxes.length, selector).toBeGreaterThan(0);
      for (const b of boxes) {
        expect(b.width, selector).toBeGreaterThan(0);
        expect(b.left, selector).toBeGreaterThanOrEqual(0);
        expect(b.right, selector).toBeLessThanOrEqual(400);
      }
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(artifactsDir, 'championship-400.png'), fullPage: true });
    await page.close();
  });

  it('says what fills the section for a season without odds', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${stack.url}/?season=2023`);
    await page.waitForFunction(() => (document.querySelector('#championship-note')?.textContent ?? '').length > 0, undefined, { timeout: 30_000 });
    expect(await page.locator('#championship-note').textContent()).toMatch(/No title odds for 2023 yet.*synced/);
    await page.close();
  });
});
