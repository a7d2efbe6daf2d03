import type { BrowserContext, Page } from 'playwright-core';

/**
 * The dashboard's live view in a browser, for any test that drives a race live (synthetic
 * ticks here; the lead's replay of a stored race): open it, then wait for a lap to show.
 */
export interface LiveViewPage {
  page: Page;
  /** Uncaught errors of the page so far. */
  errors: string[];
  /** How many times the page loaded a document (1: it never reloaded). */
  loads(): number;
  /** Waits until the view shows lap `lap` (or a later one), in the heading, the table and the chart. */
  waitForLap(lap: number, timeoutMs?: number): Promise<void>;
  /** The lap the view shows now. */
  lap(): Promise<number | null>;
  /** Driver codes in the running order, as shown. */
  order(): Promise<string[]>;
}

export async function openLiveView(context: BrowserContext, baseUrl: string, raceId: number, options: { width?: number } = {}): Promise<LiveViewPage> {
  const page = await context.newPage();
  if (options.width) await page.setViewportSize({ width: options.width, height: 900 });
  const errors: string[] = [];
  let loads = 0;
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('load', () => loads++);
  await page.goto(`${baseUrl}/dashboard/?live=${raceId}`);
  await page.waitForSelector('#live-section:not([hidden])', { timeout: 30_000 });
  const lap = async () => {
    const v = await page.locator('#live-section').getAttribute('data-lap');
    return v == null ? null : Number(v);
  };
  return {
    page,
    errors,
    loads: () => loads,
    lap,
    async waitForLap(n, timeoutMs = 15_000) {
      await page.waitForFunction(
        (want) => {
          const section = document.querySelector('#live-section') as HTMLElement | null;
          const chart = document.querySelector('#live-chart') as HTMLElement | null;
          return Number(section?.dataset.lap ?? -1) >= want && Number(chart?.dataset.lastLap ?? -1) >= want && document.querySelectorAll('#live-order tbody tr').length > 0;
        },
        n,
        { timeout: timeoutMs },
      );
    },
    order: () => page.locator('#live-order tbody tr td:nth-child(2)').evaluateAll((cells) => cells.map((c) => (c.firstChild?.textContent ?? '').trim())),
  };
}
