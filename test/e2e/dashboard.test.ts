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

  const open = async (query = '', ready = '#forecast-chart[data-rendered="true"]'): Promise<Page> => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack.url}/${query}`);
    await page.waitForSelector(ready, { timeout: 30_000 });
    expect(errors).toEqual([]);
    return page;
  };
  const getJson = async (p: string) => (await fetch(`${stack.url}${p}`)).json();
  const raceIdOf = async (page: Page, name: string) => (await page.locator('#race option', { hasText: name }).getAttribute('value'))!;
  const utc = /(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d UTC/;

  it('selects a race and shows its forecast beside qualifying, the result with differences, and metrics', async () => {
    const page = await open();
    await page.selectOption('#season', '2024');
    const australia = await raceIdOf(page, 'Australian');
    await page.selectOption('#race', australia);
    await expect.poll(() => page.textContent('#forecast-title')).toBe('Forecast — 2024 Australian Grand Prix');

    const forecastRows = page.locator('#forecast-table tbody tr');
    await expect.poll(() => forecastRows.count()).toBeGreaterThanOrEqual(19);
    const first = await forecastRows.first().locator('td').allTextContents();
    const headers = await page.locator('#forecast-table thead th').allTextContents();
    expect(headers).toEqual(['Pos', 'Driver', 'Team', 'Qual.', 'Gap (80% interval)', 'Win', 'Podium', 'Points', 'DNF', 'Why']);
    expect(first[0]).toBe('1');
    expect(first[5]).toMatch(/^\d+\.\d%$/); // P(win) as a percentage
    // The qualifying position beside the forecast, or a dash while the server does not send it.
    const prediction = await getJson(`/predictions/${australia}`);
    const q = prediction.entries[0].qualifyingPosition;
    expect(first[3]).toBe(q == null ? '—' : `P${q}`);

    // When the snapshot stands for, in words; a replay says its clock was simulated.
    const lead = (await page.textContent('#forecast-lead'))!;
    expect(lead).toMatch(new RegExp(`Frozen (at|as of) ${utc.source}`));
    if (prediction.clock === 'simulated') expect(lead).toMatch(/\(replay with a simulated clock; recorded \d{1,2} \w{3} \d{4} \d\d:\d\d UTC\)/);
    if (prediction.kind === 'retrospective') expect(lead).toContain('Retrospective — not scored');
    if (prediction.model?.label) expect(lead).toContain(`Model: ${prediction.model.label}.`);
    await expect.poll(() => page.textContent('#forecast-meta')).toMatch(/Model version.*Freeze allowed from.*inputs hash/s);
    expect(await page.textContent('#forecast-meta')).toMatch(/Pre-race strategy\s*\d stops?; first stop by start tyre: S lap \d+ · M lap \d+ · H lap \d+ \(of 58\)/);

    // The official result beside the forecast: Sainz won; every row marks its difference.
    const resultRows = page.locator('#result-table tbody tr');
    await expect.poll(() => resultRows.count()).toBeGreaterThanOrEqual(19);
    expect(await resultRows.first().textContent()).toContain('SAI');
    const deltas = await page.locator('#result-table td.diff-mark').evaluateAll((tds) => tds.map((t) => t.getAttribute('data-delta')));
    expect(deltas.filter((d) => d !== '').length).toBeGreaterThanOrEqual(19);
    expect(await page.locator('#result-table td.diff-mark.up, #result-table td.diff-mark.down').count()).toBeGreaterThan(0);

    await expect.poll(() => page.textContent('#race-metrics')).toMatch(/Position MAE\s*\d+\.\d{2} \(grid \d+\.\d{2}\)/);
    await page.close();
  });

  it('draws the pit timeline on the race’s own laps, with a fitted colour legend and every mark explained', async () => {
    const page = await open();
    const australia = await raceIdOf(page, 'Australian');
    await page.selectOption('#race', australia);
    await expect.poll(() => page.textContent('#pits-title')).toBe('Pit stops — 2024 Australian Grand Prix');
    await page.waitForSelector('#pits-chart[data-rendered="true"]', { timeout: 30_000 });

    const timeline = await getJson(`/pits/${australia}/timeline`);
    expect(timeline.totalLaps).toBe(58);
    for (const d of timeline.drivers) {
      expect(d.code).toMatch(/^[A-Z]{3}$/);
      for (const c of d.laps) {
        expect(c.lap).toBeGreaterThanOrEqual(2);
        expect(c.lap).toBeLessThanOrEqual(Math.min(58, d.lastLap));
      }
    }
    // Verstappen retired early (brakes): his row ends at his last lap.
    const ver = timeline.drivers.find((d: { code: string }) => d.code === 'VER');
    expect(ver.lastLap).toBeLessThan(10);
    expect(ver.laps.at(-1).lap).toBe(ver.lastLap);

    expect(await page.getAttribute('#pits-chart', 'data-laps')).toBe('2-58');
    expect(await page.locator('#pits-chart svg .mark-rect path').count()).toBeGreaterThan(19 * 50);
    expect(await page.locator('#pits-chart svg .mark-symbol path').count()).toBeGreaterThan(19);
    // Axis: lap labels within 1..58; rows named by driver code, never by a numeric id.
    const labels = await page.locator('#pits-chart svg .role-axis-label text').allTextContents();
    const lapLabels = labels.filter((t) => /^\d+$/.test(t)).map(Number);
    expect(Math.min(...lapLabels)).toBe(1);
    expect(Math.max(...lapLabels)).toBe(58);
    expect(labels.filter((t) => /^[A-Z]{3}$/.test(t))).toEqual(expect.arrayContaining(['SAI', 'LEC', 'VER']));
    // Legends: the colour gradient, with a top fitted to the values, and the two marker kinds.
    const legend = (await page.locator('#pits-chart svg .role-legend').allTextContents()).join(' ');
    expect(legend).toContain('P(box at the end of the lap)');
    expect(legend).toContain('boxed (tyres changed)');
    expect(legend).toContain('retired');
    const caption = (await page.textContent('#pits-caption'))!;
    const top = Number(/Colour: 0% to (\d+\.\d)%/.exec(caption)?.[1]);
    expect(top).toBeGreaterThan(0);
    expect(top).toBeLessThan(100);
    expect(caption).toMatch(/Laps 2–58 of 58/);
    expect(caption).toContain('◆ the car boxed at the end of that lap');
    expect(caption).toContain('✕ the car retired on that lap');
    await page.locator('#pits-section').screenshot({ path: path.join(artifactsDir, 'dashboard-pits.png') });
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

  it('keeps every heading on the selected race when the season changes', async () => {
    const page = await open();
    await expect.poll(() => page.textContent('#forecast-title')).toMatch(/^Forecast — 2024 /);
    await page.selectOption('#season', '2023');
    await expect.poll(() => page.textContent('#forecast-title')).toMatch(/^Forecast — 2023 /);
    const chosen = (await page.locator('#race option:checked').textContent())!.replace(/^R\d+ | \(\w+\)$/g, '');
    expect(await page.textContent('#forecast-title')).toBe(`Forecast — 2023 ${chosen}`);
    expect(await page.textContent('#result-title')).toBe(`Forecast against the result — 2023 ${chosen}`);
    expect(await page.textContent('#season-title')).toBe('Season accuracy — 2023');
    // No forecast for 2023 here: the page says why and what fills it.
    await expect.poll(() => page.textContent('#status')).toContain('No frozen forecast for this race yet.');
    expect(await page.textContent('#status')).toContain('npx pitwall replay --season 2023');
    expect(await page.locator('#forecast-table tbody tr').count()).toBe(0);
    await page.selectOption('#season', '2024');
    await expect.poll(() => page.textContent('#forecast-title')).toMatch(/^Forecast — 2024 /);
    await page.close();
  });

  it('says in words when the address names a season or race that is not there', async () => {
    const notice = async (query: string) => {
      const page = await open(query, '#notice:not(:empty)');
      return { page, text: (await page.textContent('#notice'))! };
    };
    const abc = await notice('?season=abc');
    expect(abc.text).toBe('“abc” is not a season (a year such as 2024); showing 2024.');
    await expect.poll(() => abc.page.textContent('#forecast-title')).toMatch(/^Forecast — 2024 /);
    await abc.page.close();

    const future = await notice('?season=2030');
    expect(future.text).toBe('There is no 2030 season in the data; seasons available: 2023–2024. Showing 2024.');
    expect(await future.page.inputValue('#season')).toBe('2024');
    await future.page.close();

    const missing = await notice('?season=2024&race=999999');
    expect(missing.text).toBe('Race 999999 was not found in the 2024 season. Choose a race above.');
    expect(await missing.page.textContent('#forecast-title')).toBe('Forecast');
    expect(await missing.page.locator('#forecast-table tbody tr').count()).toBe(0);
    expect(await missing.page.inputValue('#race')).toBe('');
    await missing.page.close();
  });

  it('works from the keyboard', async () => {
    const page = await open();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    // The landing view's round picker comes first (at a glance), then the race picker below it.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('glance-season');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('glance-round');
    await page.focus('#season');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('race');
    // Changing the race with the keyboard loads it.
    const before = await page.textContent('#forecast-title');
    await page.keyboard.press('ArrowUp');
    await expect.poll(() => page.textContent('#forecast-title')).not.toBe(before);
    await page.close();
  });

  it('keeps the probabilities and the result’s Δ and status on a 400 px screen; full table at 1400 px', async () => {
    const page = await open();
    const australia = await raceIdOf(page, 'Australian');
    await page.close();
    const wide = await open(`?season=2024&race=${australia}`);
    await wide.setViewportSize({ width: 1400, height: 900 });
    await wide.waitForSelector('#pits-chart[data-rendered="true"]', { timeout: 30_000 });
    expect(await wide.locator('#forecast-table thead th:visible').count()).toBe(10);
    await wide.screenshot({ path: path.join(artifactsDir, 'dashboard-1400.png'), fullPage: true });
    await wide.close();

    const phone = await context.newPage();
    await phone.setViewportSize({ width: 400, height: 844 });
    await phone.goto(`${stack.url}/?season=2024&race=${australia}`);
    await phone.waitForSelector('#pits-chart[data-rendered="true"]', { timeout: 30_000 });
    const width = 400;
    const within = async (selector: string) => {
      const boxes = await phone.locator(selector).evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ left: r.left, right: r.right, width: r.width })));
      expect(boxes.length).toBeGreaterThan(0);
      for (const b of boxes) {
        expect(b.width).toBeGreaterThan(0);
        expect(b.left).toBeGreaterThanOrEqual(0);
        expect(b.right).toBeLessThanOrEqual(width);
      }
      return boxes.length;
    };
    // Win, Podium, Points, DNF headers and every driver's values; Δ and Status of every finisher.
    expect(await within('#forecast-table thead th.prob')).toBe(4);
    expect(await within('#forecast-table tbody td.prob')).toBeGreaterThanOrEqual(4 * 19);
    expect(await within('#forecast-table tbody td.grid-pos')).toBeGreaterThanOrEqual(19);
    expect(await within('#result-table thead th')).toBe(5);
    expect(await within('#result-table tbody td.diff-mark')).toBeGreaterThanOrEqual(19);
    expect(await within('#result-table tbody td.status-text')).toBeGreaterThanOrEqual(19);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: path.join(artifactsDir, 'dashboard-400.png'), fullPage: true });
    await phone.close();
  });

  it('sends the scripts compressed and versioned, and has a favicon', async () => {
    const page = await context.newPage();
    const scripts = new Map<string, { encoding: string | null; cache: string | null }>();
    page.on('response', async (r) => {
      if (r.url().includes('/vendor/')) scripts.set(new URL(r.url()).pathname, { encoding: await r.headerValue('content-encoding'), cache: await r.headerValue('cache-control') });
    });
    await page.goto(`${stack.url}/`);
    await page.waitForSelector('#forecast-chart[data-rendered="true"]', { timeout: 30_000 });
    expect([...scripts.keys()].sort()).toEqual(['/dashboard/vendor/vega-lite.min.js', '/dashboard/vendor/vega.min.js']);
    for (const s of scripts.values()) {
      expect(['br', 'gzip']).toContain(s.encoding);
      expect(s.cache).toBe('public, max-age=31536000, immutable');
    }
    // The page names its icon (functions-framework itself answers /favicon.ico with 404 unless IGNORED_ROUTES is set).
    const href = (await page.getAttribute('link[rel="icon"]', 'href'))!;
    const icon = await fetch(`${stack.url}${href}`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    await page.close();
  });
});
