import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboardAssets } from '../../shared/dashboard/build-assets.js';
import { launchChromium, requireChromium } from '../helpers/browser.js';
import type { DevServer } from '../../shared/app/dev-server.js';
import { LAPS } from '../ingest/live/live-race.js';
import { postgres, startLiveRaceStack, type LiveRaceStack } from '../live/live-race-stack.js';
import { openLiveView } from './live-view-page.js';

const chromium = requireChromium();

/**
 * A stored race replayed as live (the route `npx pitwall live --replay` calls) while the
 * dashboard's live view is open in Chromium: the page follows the race lap by lap as the
 * ticks are pushed, without a reload, to the flag.
 */
describe.skipIf(chromium.skip || postgres.skip)('a replayed race on the live dashboard', () => {
  let stack: LiveRaceStack;
  let server: DevServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let dashboardDir: string;
  let raceId: number;

  beforeAll(async () => {
    dashboardDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-live-replay-'));
    buildDashboardAssets(path.resolve(import.meta.dirname, '../../shared/dashboard/assets'), dashboardDir);
    stack = await startLiveRaceStack({ dashboardDir });
    ({ server, raceId } = stack);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    if (dashboardDir) fs.rmSync(dashboardDir, { recursive: true, force: true });
  });

  it('follows the replay lap by lap, without a reload, to the flag', async () => {
    const replay = fetch(`${server.url}/ingest/live/replay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ season: 2024, round: 1, speed: 60 }) });
    // The page opens on the race before its first tick and waits for it.
    const view = await openLiveView(browser.context, server.url, raceId, { width: 1300 });
    const shown = new Set<number>();
    const watching = (async () => {
      while (shown.size <= LAPS && !view.page.isClosed()) {
        const lap = await view.lap().catch(() => null);
        if (lap !== null) shown.add(lap);
        if (lap === LAPS) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await view.waitForLap(LAPS, 60_000);
    await watching;
    expect((await replay).status).toBe(200);
    // At 60×, a lap of 80 s is 1.3 s on the page: every lap shows (it may open past the first).
    const laps = [...shown].sort((a, b) => a - b);
    expect(laps.at(-1)).toBe(LAPS);
    expect(laps.length).toBeGreaterThanOrEqual(LAPS - 2);
    expect(await view.order()).toHaveLength(4);
    expect(await view.page.locator('#live-chart').getAttribute('data-last-lap')).toBe(String(LAPS));
    expect(view.loads()).toBe(1);
    expect(view.errors).toEqual([]);
  }, 120_000);
});
