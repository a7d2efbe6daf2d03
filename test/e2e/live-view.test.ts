import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../shared/app/dev-server.js';
import { SimulatedClock } from '../../shared/clock.js';
import { buildDashboardAssets } from '../../shared/dashboard/build-assets.js';
import { createInProcessLiveBus, type LiveBus } from '../../shared/live/live-bus.js';
import { storeAndPublish } from '../../shared/live/publish.js';
import type { LiveTick } from '../../shared/live/types.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import { appOver } from '../api/stack.js';
import { artifactsDir, launchChromium, requireChromium } from '../helpers/browser.js';
import { buildSeason, type BuiltSeason } from '../helpers/builders.js';
import { backends } from '../helpers/databases.js';
import { tickAt } from '../live/ticks.js';
import { openLiveView } from './live-view-page.js';

const chromium = requireChromium();
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;

/** The order of a tick with two cars swapped (positions, gaps and odds follow the cars). */
function swapped(tick: LiveTick, a: number, b: number): LiveTick {
  const cars = tick.state.cars.map((c) => ({ ...c }));
  const [x, y] = [cars[a]!, cars[b]!];
  [x.position, y.position] = [y.position, x.position];
  [x.gapToLeaderMs, y.gapToLeaderMs] = [y.gapToLeaderMs, x.gapToLeaderMs];
  [x.intervalMs, y.intervalMs] = [y.intervalMs, x.intervalMs];
  const finish = tick.finish.map((f) => ({ ...f }));
  [finish[a]!.win, finish[b]!.win] = [finish[b]!.win, finish[a]!.win];
  return { ...tick, state: { ...tick.state, cars }, finish };
}

/**
 * The live view in headless Chromium against the dev server: ticks stored and published while
 * the page is open reach it over Server-Sent Events and it updates without a reload (order,
 * tyres, pit odds, the win chart over laps), on a desktop and a phone width; the header links
 * a race that has ticks.
 */
describe.skipIf(chromium.skip)('the live view in a real browser', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let repo: Repository;
  let server: DevServer;
  let bus: LiveBus;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let s: BuiltSeason;
  let dashboardDir: string;
  const foreign: string[] = [];
  const race = () => s.races[0]!;
  const publish = (tick: LiveTick) => storeAndPublish({ repo, bus }, tick);

  beforeAll(async () => {
    db = await backend.open();
    repo = createRepository(db.knex);
    s = await buildSeason(repo, { races: 2, drivers: 6 });
    dashboardDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-live-dashboard-'));
    buildDashboardAssets(path.resolve(import.meta.dirname, '../../shared/dashboard/assets'), dashboardDir);
    bus = createInProcessLiveBus();
    server = await startDevServer({ app: appOver(db), clock: new SimulatedClock(new Date('2024-03-03T15:00:00Z')), port: 0, dashboardDir, liveBus: bus });
    browser = await launchChromium();
    context = browser.context;
    context.on('request', (r) => {
      if (!r.url().startsWith(server.url)) foreign.push(r.url());
    });
    fs.mkdirSync(artifactsDir, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await bus?.close();
    await db?.close();
    if (dashboardDir) fs.rmSync(dashboardDir, { recursive: true, force: true });
  });

  it('updates the running order, tyres, pit odds and the win chart as ticks are published, without a reload', async () => {
    for (const lap of [0, 1, 2]) await publish(tickAt(race(), s.drivers, lap, { teamOf: s.teamOf }));
    const view = await openLiveView(context, server.url, race().id, { width: 1300 });
    const { page } = view;
    await view.waitForLap(2);
    expect(await page.locator('#live-title').textContent()).toBe('Live — 2024 Bahrain Grand Prix');
    expect(await view.order()).toEqual(['VER', 'NOR', 'LEC', 'PIA', 'SAI', 'RUS']);
    expect(await page.locator('#live-lap').textContent()).toBe('Lap 2 / 57');
    expect(await page.locator('#live-chart').getAttribute('data-laps')).toBe('3');
    expect(await page.locator('#live-chart polyline').count()).toBe(5);
    await page.waitForSelector('#live-section[data-connection="live"]');

    // Published while the page is open: lap by lap, then an overtake and a safety car.
    for (const lap of [3, 4, 5, 6]) await publish(tickAt(race(), s.drivers, lap, { teamOf: s.teamOf }));
    await view.waitForLap(6);
    await publish(swapped(tickAt(race(), s.drivers, 7, { teamOf: s.teamOf }), 0, 1));
    await view.waitForLap(7);
    expect(await view.order()).toEqual(['NOR', 'VER', 'LEC', 'PIA', 'SAI', 'RUS']);
    expect(await page.locator('#live-track').textContent()).toBe('Safety car');
    const norris = page.locator(`#live-order tbody tr[data-driver-id="${s.drivers[1]}"] td`);
    // Position, code, gap, interval, tyre (compound and age), stops, pit within 1/3/5 laps, win.
    expect(await norris.allTextContents()).toEqual(['1', 'NOR Red Bull', 'Leader', '–', 'M7', '0', '3%', '12%', '23%', expect.stringMatching(/%$/)]);
    expect(await page.locator('#live-chart').getAttribute('data-laps')).toBe('8');
    expect(view.loads()).toBe(1);
    expect(view.errors).toEqual([]);
    await page.screenshot({ path: path.join(artifactsDir, 'live-view-1300.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('is usable at a phone width: nothing overflows the screen but the scrollable table', async () => {
    const view = await openLiveView(context, server.url, race().id, { width: 390 });
    const { page } = view;
    await view.waitForLap(7);
    await publish(tickAt(race(), s.drivers, 8, { teamOf: s.teamOf }));
    await view.waitForLap(8);
    const widths = await page.evaluate(() => ({
      doc: document.documentElement.scrollWidth,
      chart: (document.querySelector('#live-chart svg') as SVGElement).getBoundingClientRect().width,
      table: (document.querySelector('#live-order') as HTMLElement).getBoundingClientRect().width,
    }));
    expect(widths.doc).toBeLessThanOrEqual(390);
    expect(widths.chart).toBeLessThanOrEqual(390);
    expect(widths.table).toBeLessThanOrEqual(390);
    // The columns that matter live stay on a phone: position, driver, gap, tyre, the three pit odds, win.
    expect(await page.locator('#live-order thead th:visible').allTextContents()).toEqual(['Pos', 'Driver', 'Gap', 'Tyre', 'Pit 1', '3', '5', 'Win']);
    expect(view.errors).toEqual([]);
    await page.screenshot({ path: path.join(artifactsDir, 'live-view-390.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('links a race with ticks from the header, and the link opens its live view', async () => {
    const page = await context.newPage();
    await page.goto(`${server.url}/dashboard/`);
    const link = page.locator(`#live-nav a[data-race-id="${race().id}"]`);
    await link.waitFor({ timeout: 30_000 });
    expect(await link.textContent()).toMatch(/Live: 2024 Bahrain Grand Prix, lap 8\/57/);
    await link.click();
    await page.waitForSelector('#live-section[data-lap="8"]');
    expect(foreign).toEqual([]);
    await page.close();
  }, 60_000);

  it('says so when a race has no tick yet, and shows its first as soon as it is published', async () => {
    const other = s.races[1]!;
    const view = await openLiveView(context, server.url, other.id);
    await view.page.waitForFunction(() => /no live ticks/.test(document.querySelector('#live-note')?.textContent ?? ''));
    await view.page.waitForSelector('#live-section[data-connection="live"]');
    await publish(tickAt(other, s.drivers, 0, { teamOf: s.teamOf }));
    await view.waitForLap(0);
    expect(await view.order()).toHaveLength(6);
    expect(view.loads()).toBe(1);
    await view.page.close();
  }, 60_000);
});
