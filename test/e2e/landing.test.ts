import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../shared/app/dev-server.js';
import { SimulatedClock } from '../../shared/clock.js';
import { buildDashboardAssets } from '../../shared/dashboard/build-assets.js';
import type { Race } from '../../shared/domain/reference.js';
import { replaySeason } from '../../shared/lifecycle/replay.js';
import { resultKnownAt } from '../../shared/api/overview.js';
import { createRepository } from '../../shared/repository/index.js';
import { appOver } from '../api/stack.js';
import { artifactsDir, launchChromium, openPage, requireChromium } from '../helpers/browser.js';
import { backends } from '../helpers/databases.js';
import { loadSeasons } from '../helpers/dump-seasons.js';
import { requireData } from '../helpers/settings.js';

const data = requireData();
const chromium = requireChromium();
const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;
const REPLAYED = 4;
const PHONE = { width: 390, height: 844 };

/* eslint-disable @typescript-eslint/no-explicit-any */

/**
 * The landing view in headless Chromium on a phone, over the real 2024 season's first rounds
 * replayed through the functions (pre-weekend and post-qualifying freezes, syncs, scores, title
 * odds): the last 3 and next 3 races as cards from GET /overview, a round picker, and the race
 * view's pre-weekend forecast beside the post-qualifying one.
 */
describe.skipIf(data.skip || chromium.skip)('the landing view at a glance, in a real browser', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let server: DevServer;
  let clock: SimulatedClock;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let dashboardDir: string;
  let races: Race[];
  const api = async (p: string) => (await fetch(`${server.url}${p}`)).json() as Promise<any>;

  beforeAll(async () => {
    db = await backend.open();
    const repo = createRepository(db.knex);
    await loadSeasons(repo, [2023, 2024]);
    dashboardDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-landing-'));
    buildDashboardAssets(path.resolve(import.meta.dirname, '../../shared/dashboard/assets'), dashboardDir);
    clock = new SimulatedClock(new Date('2024-01-01T00:00:00Z'));
    const app = appOver(db);
    server = await startDevServer({ app, clock, port: 0, dashboardDir });
    races = await repo.races.listSeason(2024);
    const report = await replaySeason({ baseUrl: server.url, clock, policy: app.config.freezePolicy, preWeekendPolicy: app.config.preWeekendPolicy, races: races.slice(0, REPLAYED) }, 2024);
    expect(report.races.map((r) => r.note)).toEqual(new Array(REPLAYED).fill(null));
    // The present: a day after round 4's result, round 5 still to come.
    clock.set(new Date(resultKnownAt(races[REPLAYED - 1]!).getTime() + 86_400_000));
    browser = await launchChromium();
    context = browser.context;
    fs.mkdirSync(artifactsDir, { recursive: true });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await db?.close();
    if (dashboardDir) fs.rmSync(dashboardDir, { recursive: true, force: true });
  });

  const open = async (query: string, ready: string, viewport = PHONE): Promise<{ page: Page; errors: string[] }> =>
    openPage(context, `${server.url}/${query}`, ready, viewport);
  const cards = (page: Page, list: string) =>
    page.$$eval(`#${list} .glance-card`, (els) => els.map((el) => ({ raceId: Number((el as HTMLElement).dataset.raceId), text: el.textContent!, bars: el.querySelectorAll('.bars li:not(.bars-head)').length, provisional: (el as HTMLElement).dataset.provisional ?? null })));

  it('shows the last 3 and next 3 races and the title odds on a phone, without sideways scrolling', { timeout: 120_000 }, async () => {
    const { page, errors } = await open('', '#glance-section[data-rendered="true"]');
    const body = await api('/overview');
    expect(body.round).toBe(REPLAYED);
    expect(await page.textContent('#glance-title')).toBe(`At a glance — 2024 after round ${REPLAYED}`);

    const last = await cards(page, 'glance-last');
    expect(last.map((c) => c.raceId)).toEqual(body.last.map((l: any) => l.raceId));
    for (const [i, c] of last.entries()) {
      const l = body.last[i];
      expect(c.text).toContain(`Predicted winner${l.forecast.winner.code}`);
      expect(c.text).toContain(`Winner${l.result.winner.code}`);
      expect(c.text).toContain(`Position MAE${l.score.positionMae.toFixed(2)} (grid ${l.score.gridBaseline.positionMae.toFixed(2)})`);
      expect(c.text).toContain(`Before the weekend${l.preWeekend.winner.code}`);
    }
    const next = await cards(page, 'glance-next');
    expect(next.map((c) => c.raceId)).toEqual(races.slice(REPLAYED, REPLAYED + 3).map((r) => r.id));
    for (const c of next) expect(c).toMatchObject({ bars: 5, provisional: 'true' });
    expect(await page.locator('#glance-next .badge.provisional').count()).toBe(3);
    const favourite = body.next[0].preWeekend.top[0];
    const pct = (p: number) => `${(p * 100).toFixed(1)}%`;
    expect(await page.locator('#glance-next .glance-card').first().locator('.bars li:not(.bars-head)').first().textContent()).toBe(`${favourite.code}${pct(favourite.pWin)}${pct(favourite.pPodium)}${pct(favourite.pPoints)}`);
    const odds = page.locator('#glance-odds .bars li:not(.bars-head)');
    expect(await odds.count()).toBe(10);
    const leader = body.title.drivers[0];
    expect(await odds.first().textContent()).toBe(`${leader.code}${pct(leader.pTitle)}${pct(leader.pTop3)}`);
    expect(await odds.first().getAttribute('title')).toContain(`${leader.driver}: ${leader.currentPoints} points`);

    // A phone: the cards stack in one column inside the screen, and nothing scrolls sideways.
    const boxes = await page.locator('#glance-section .glance-card').evaluateAll((els) => els.map((el) => el.getBoundingClientRect()).map((r) => ({ x: r.x, right: r.right })));
    expect(boxes.length).toBe(8);
    for (const b of boxes) expect(b.right).toBeLessThanOrEqual(PHONE.width);
    expect(new Set(boxes.slice(0, 6).map((b) => Math.round(b.x))).size).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    await page.screenshot({ path: path.join(artifactsDir, 'landing-390.png'), fullPage: true });
    const glance = (await page.locator('#glance-section').boundingBox())!;
    for (const [i, y] of [glance.y, glance.y + 1200].entries()) {
      await page.screenshot({ path: path.join(artifactsDir, `landing-390-glance-${i + 1}.png`), fullPage: true, clip: { x: 0, y, width: PHONE.width, height: 1200 } });
    }
    await page.close();
  });

  it('goes back to an earlier round with the round picker (on a wide screen)', { timeout: 120_000 }, async () => {
    const { page, errors } = await open('', '#glance-section[data-rendered="true"]', { width: 1280, height: 900 });
    expect(await page.locator('#glance-round option').count()).toBe(REPLAYED);
    await page.selectOption('#glance-round', '2');
    await page.waitForSelector('#glance-section[data-round="2"]');
    expect(await page.textContent('#glance-title')).toBe('At a glance — 2024 as it stood after round 2');
    // The calendar runs on across the turn of the season: 2023's finale is the third.
    const finale2023 = (await createRepository(db.knex).races.listSeason(2023)).at(-1)!;
    expect((await cards(page, 'glance-last')).map((c) => c.raceId)).toEqual([races[1]!.id, races[0]!.id, finale2023.id]);
    expect(await page.locator('#glance-last .glance-card').last().textContent()).toContain(`2023 R${finale2023.round} ${finale2023.name}`);
    // Round 3's pre-weekend forecast was frozen after round 2's result: provisional here.
    expect((await cards(page, 'glance-next')).map((c) => [c.raceId, c.provisional])).toEqual(races.slice(2, 5).map((r) => [r.id, 'true']));
    // Wide: a race's cards side by side.
    const tops = await page.locator('#glance-next .glance-card').evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().top)));
    expect(new Set(tops).size).toBe(1);
    await page.locator('#glance-section').screenshot({ path: path.join(artifactsDir, 'landing-1280.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("opens a card's race, whose forecast table shows the pre-weekend forecast beside the post-qualifying one, and its score", { timeout: 120_000 }, async () => {
    const { page, errors } = await open('', '#glance-section[data-rendered="true"]');
    // Not the race the page opens on (the latest frozen one), so the table is drawn anew for it.
    const raceId = races[REPLAYED - 2]!.id;
    await page.waitForSelector(`#forecast-table[data-pre-weekend="${races[REPLAYED - 1]!.id}"]`);
    await page.click(`#glance-last a[data-open-race="${raceId}"]`);
    await page.waitForSelector(`#forecast-table[data-pre-weekend="${raceId}"]`);
    expect(new URL(page.url()).search).toBe(`?season=2024&race=${raceId}`);
    const early = await api(`/predictions/${raceId}?policy=pre_weekend`);
    const rows = await page.$$eval('#forecast-table tbody tr', (trs) => trs.map((tr) => ({ driverId: Number((tr as HTMLElement).dataset.driverId), early: tr.querySelector('td.pre-weekend')?.textContent ?? null })));
    expect(rows.length).toBeGreaterThan(15);
    for (const r of rows) {
      const e = early.entries.find((x: any) => x.driverId === r.driverId);
      expect(r.early).toBe(e ? `${e.predictedPosition} · ${(e.pWin * 100).toFixed(1)}%` : '–');
    }
    expect(await page.textContent('#forecast-table thead th.pre-weekend')).toBe('Before wknd');
    expect(await page.textContent('#pre-weekend-lead')).toContain('Before the weekend');
    const metrics = await api(`/metrics/${raceId}?policy=pre_weekend`);
    expect(await page.textContent('#pre-weekend-metrics')).toContain(`position MAE${metrics.positionMae.toFixed(2)} (grid ${metrics.baseline.positionMae.toFixed(2)})`);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    expect(errors).toEqual([]);
    // The column is on the phone's screen, beside the post-qualifying P(win).
    const cells = await page.locator('#forecast-table td.pre-weekend').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().right));
    for (const right of cells) expect(right).toBeLessThanOrEqual(PHONE.width);
    await page.locator('#forecast-section').screenshot({ path: path.join(artifactsDir, 'landing-race-390.png') });
    await page.close();
  });
});
