import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFiles } from '../../shared/ingest/ingest.js';
import { findRace } from '../../shared/lifecycle/predict.js';
import { silentLogger } from '../../shared/log/logger.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { atFreeze, startStack } from '../api/stack.js';
import { artifactsDir, launchChromium, openPage, requireChromium } from '../helpers/browser.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { dataDir, requireData } from '../helpers/settings.js';

const data = requireData();
const chromium = requireChromium();
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;

/**
 * The driver and team pages in headless Chromium over the real 2023 and 2024 data with their
 * laps: reached from the forecast table's links, every chart drawn, every figure with its race
 * count, usable on a phone.
 */
describe.skipIf(data.skip || chromium.skip)('driver and team pages in a real browser', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let repo: Repository;
  let stack: Awaited<ReturnType<typeof startStack>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let monacoId: number;
  const ids = new Map<string, number>();

  beforeAll(async () => {
    db = await backend.open();
    repo = createRepository(db.knex);
    await loadSeasons(repo, [2023, 2024]);
    const laps = await ingestFiles({ repo, logger: silentLogger }, { laps: path.join(dataDir, 'laps') });
    expect(laps.runs.every((r) => r.status === 'succeeded')).toBe(true);
    for (const d of await repo.reference.drivers()) ids.set(d.driverRef, d.id);
    for (const c of await repo.reference.constructors()) ids.set(`team:${c.constructorRef}`, c.id);
    stack = await startStack(db);
    // One frozen forecast, whose table links to the pages.
    monacoId = (await findRace(repo, { year: 2024, race: 'Monaco' })).id;
    await atFreeze(stack, 2024, 'Monaco');
    expect((await fetch(`${stack.url}/predict?year=2024&race=Monaco`, { method: 'POST' })).status).toBe(201);
    stack.clock.set(new Date('2025-01-01T00:00:00Z'));
    browser = await launchChromium();
    context = browser.context;
    fs.mkdirSync(artifactsDir, { recursive: true });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.server.close();
    await db?.close();
  });

  const open = async (query: string, ready: string, viewport?: { width: number; height: number }): Promise<Page> => {
    const { page, errors } = await openPage(context, `${stack.url}/${query}`, ready, viewport);
    expect(errors).toEqual([]);
    return page;
  };
  const loaded = '#analytics-section[data-loaded="true"]';
  const charts = ['#analytics-points', '#analytics-pace', '#analytics-gained', '#analytics-tyres', '#analytics-pits'];
  /** Each figure's label and its "(n races)". */
  const figures = async (page: Page) =>
    page.$$eval('#analytics-figures div', (divs) => divs.map((d) => ({ label: d.querySelector('dt')!.textContent!, races: Number((d as HTMLElement).dataset.races), text: d.querySelector('dd')!.textContent! })));

  it("links the forecast table's drivers and teams to their pages, and opens a driver's season with every chart", async () => {
    const page = await open(`?season=2024&race=${monacoId}`, '#forecast-table tbody tr a.driver-link');
    const ver = page.locator('#forecast-table a.driver-link', { hasText: 'VER' });
    expect(await ver.getAttribute('href')).toBe(`?driver=${ids.get('max_verstappen')}&season=2024`);
    expect(await page.locator('#forecast-table a.team-link').first().getAttribute('href')).toMatch(/^\?team=\d+&season=2024$/);
    await ver.click();
    await page.waitForSelector(loaded, { timeout: 30_000 });
    expect(await page.textContent('#analytics-title')).toBe('Max Verstappen — 2024');
    expect(await page.isHidden('#forecast-section')).toBe(true);
    for (const id of charts) expect(await page.locator(`${id}[data-rendered="true"] svg`).count(), id).toBe(1);
    // Every figure says how many races it rests on; the API's counts are the page's.
    const body = await (await fetch(`${stack.url}/analytics/drivers/${ids.get('max_verstappen')}?season=2024`)).json();
    const shown = await figures(page);
    expect(shown.length).toBeGreaterThanOrEqual(10);
    for (const f of shown) expect(f.text, f.label).toMatch(/\(\d+ races?\)$/);
    expect(shown.find((f) => f.label === 'Championship')).toMatchObject({ races: 24, text: expect.stringContaining(`${body.pointsOverSeason.finalPoints} pts, P1`) });
    expect(shown.find((f) => f.label === 'Race pace vs field median')!.races).toBe(body.racePace.races);
    expect(shown.find((f) => f.label === 'Wet races')!.text).toContain(`(${body.wetRaces.wet.races} race`);
    // The race-pace chart has a bar per race; the results at the season's last circuit are listed.
    expect(await page.locator('#analytics-pace svg .mark-rect path').count()).toBe(body.racePace.perRace.length);
    expect(await page.textContent('#analytics-circuit-title')).toBe('Results at Yas Marina Circuit (2 races)');
    expect(await page.locator('#analytics-circuit tbody tr').count()).toBe(2);
    await page.screenshot({ path: path.join(artifactsDir, 'analytics-driver.png'), fullPage: true });
    await page.close();
  });

  /** Pairs of one axis's labels in a chart that touch or overlap (less than 2 px apart), as their texts. */
  const crowdedLabels = (page: Page, id: string) =>
    page.$$eval(`${id} svg .role-axis`, (axes) =>
      axes.flatMap((axis) => {
        const labels = Array.from(axis.querySelectorAll('.role-axis-label text')).map((t) => ({ text: t.textContent!, box: t.getBoundingClientRect() }));
        return labels.flatMap((a, i) =>
          labels.slice(i + 1).filter((b) => a.box.left < b.box.right + 2 && b.box.left < a.box.right + 2 && a.box.top < b.box.bottom && b.box.top < a.box.bottom).map((b) => `${a.text}|${b.text}`),
        );
      }),
    );

  it('says "1 stint" (no "1 stints", "1 stops"), and spaces the tyre chart\'s axis labels apart at any width', async () => {
    const body = await (await fetch(`${stack.url}/analytics/drivers/${ids.get('bearman')}?season=2024`)).json();
    const single = body.tyreDegradation.byCompound.find((c: { stints: number }) => c.stints === 1);
    expect(single, 'a compound Bearman ran one stint on in 2024').toBeDefined();
    for (const viewport of [undefined, { width: 390, height: 844 }]) {
      const page = await open(`?driver=${ids.get('bearman')}&season=2024`, loaded, viewport);
      const tyres = (await figures(page)).find((f) => f.label === 'Tyre degradation')!.text;
      expect(tyres).toContain(`${single.compound.toLowerCase()} `);
      expect(tyres).toMatch(/\(1 stint\)/);
      for (const f of await figures(page)) expect(f.text, f.label).not.toMatch(/\b1 (stints|stops|races)\b/);
      expect(await page.locator('#analytics-tyres .role-axis-label text').count()).toBeGreaterThan(2);
      expect(await crowdedLabels(page, '#analytics-tyres'), JSON.stringify(viewport)).toEqual([]);
      await page.close();
    }
  });

  it("opens a team's season over both cars, with its drivers and development trend", async () => {
    const page = await open(`?team=${ids.get('team:mclaren')}&season=2024`, loaded);
    expect(await page.textContent('#analytics-title')).toBe('McLaren — 2024');
    expect(await page.textContent('#analytics-lead')).toMatch(/Lando Norris \(24 races, \d+ pts\).*Oscar Piastri \(24 races/);
    for (const id of [...charts, '#analytics-trend']) expect(await page.locator(`${id}[data-rendered="true"] svg`).count(), id).toBe(1);
    const shown = await figures(page);
    // The trend is the slope of the gap to pole in percent: percentage points a round, not championship points.
    const body = await (await fetch(`${stack.url}/analytics/teams/${ids.get('team:mclaren')}?season=2024`)).json();
    const trend = shown.find((f) => f.label === 'Development: gap to pole')!;
    expect(trend.races).toBe(24);
    expect(trend.text).toContain(`${Math.abs(body.developmentTrend.slopePctPerRound).toFixed(3)} percentage points of gap a round`);
    expect(trend.text).not.toMatch(/pts/);
    for (const id of [...charts, '#analytics-trend']) expect(await crowdedLabels(page, id), id).toEqual([]);
    expect(shown.find((f) => f.label === 'Reliability: mechanical DNFs')).toBeDefined();
    // McLaren won the 2024 constructors' title.
    expect(shown.find((f) => f.label === 'Championship')!.text).toMatch(/666 pts, P1/);
    await page.screenshot({ path: path.join(artifactsDir, 'analytics-team.png'), fullPage: true });
    await page.close();
  });

  it('is usable on a phone: charts fit the width and the page does not scroll sideways', async () => {
    const page = await open(`?driver=${ids.get('norris')}&season=2024`, loaded, { width: 390, height: 844 });
    for (const id of charts) {
      const box = (await page.locator(`${id} svg`).boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width, id).toBeLessThanOrEqual(390);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(artifactsDir, 'analytics-driver-390.png'), fullPage: true });
    await page.close();
  });

  it("says what is wrong with an unknown driver, and a page's id that is not one", async () => {
    const page = await open('?driver=999999&season=2024', '#analytics-note:not(:empty)');
    expect(await page.textContent('#analytics-note')).toContain('driver 999999 not found');
    await page.close();
    const bad = await open('?driver=abc', '#analytics-note:not(:empty)');
    expect(await bad.textContent('#analytics-note')).toContain('“abc” is not a driver id: open ?driver=<id>&season=<year>');
    expect(await bad.isHidden('#forecast-section')).toBe(true);
    await bad.close();
  });
});
