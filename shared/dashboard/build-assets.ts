import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

/**
 * Part of `npm run build`: copies the dashboard's own files and the charting library's
 * browser builds (Vega, Vega-Lite) into dist/dashboard, so the read API function serves
 * every asset itself — no CDN, nothing fetched at run time.
 */
export function buildDashboardAssets(sourceDir: string, outDir: string): string[] {
  const require = createRequire(import.meta.url);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(outDir, 'vendor'), { recursive: true });
  const written: string[] = [];
  for (const name of fs.readdirSync(sourceDir)) {
    fs.copyFileSync(path.join(sourceDir, name), path.join(outDir, name));
    written.push(name);
  }
  for (const file of ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js']) {
    const target = path.join('vendor', path.basename(file));
    fs.copyFileSync(require.resolve(file), path.join(outDir, target));
    written.push(target);
  }
  return written;
}

// Run from the build: node dist/shared/dashboard/build-assets.js <repo root>
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const root = path.resolve(process.argv[2] ?? '.');
  const written = buildDashboardAssets(path.join(root, 'shared/dashboard/assets'), path.join(root, 'dist/dashboard'));
  process.stdout.write(`dashboard assets: ${written.length} files in dist/dashboard\n`);
}
