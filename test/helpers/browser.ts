import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { onCi } from './settings.js';

/** Debian's Chromium, driven by playwright-core (its own browser download fails here). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function requireChromium(): { skip: boolean; reason: string } {
  if (fs.existsSync(chromiumPath)) return { skip: false, reason: '' };
  const reason = `Chromium not found at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH)`;
  if (onCi) throw new Error(reason);
  return { skip: true, reason };
}

/**
 * Headless Chromium with the flags this machine needs: without the background-networking
 * ones its connections to the outside are refused, many at a time.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  // A fresh profile per run (playwright passes it to Chromium as --user-data-dir).
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pitwall-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Screenshots are test artifacts, kept out of git (test-artifacts/ is ignored). */
export const artifactsDir = path.resolve(import.meta.dirname, '../../test-artifacts');

/**
 * A new tab at `url` (at `viewport` when given), once `ready` matches; `errors` collects the
 * page's uncaught exceptions from the start, for the test to assert there are none.
 */
export async function openPage(context: BrowserContext, url: string, ready: string, viewport?: { width: number; height: number }): Promise<{ page: Page; errors: string[] }> {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector(ready, { timeout: 30_000 });
  return { page, errors };
}
