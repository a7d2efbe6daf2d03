import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { assetVersion } from './serve.js';

/** Text assets worth compressing (the Vega builds are most of the ~770 KB). */
const compressible = new Set(['.html', '.js', '.css', '.svg', '.json']);

/**
 * Part of `npm run build`: copies the dashboard's own files and the charting library's
 * browser builds (Vega, Vega-Lite) into dist/dashboard, so the read API function serves
 * every asset itself — no CDN, nothing fetched at run time. index.html names each asset
 * with its content version (`?v=`), so browsers may keep it for a year; every text file
 * gets brotli and gzip variants beside it, compressed once here rather than per request.
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
  versionReferences(path.join(outDir, 'index.html'), outDir);
  for (const name of written.filter((n) => compressible.has(path.extname(n)))) compress(path.join(outDir, name));
  return written;
}

/** `/dashboard/<file>` in src/href attributes → `/dashboard/<file>?v=<content version>`. */
function versionReferences(htmlFile: string, outDir: string) {
  const html = fs.readFileSync(htmlFile, 'utf8').replace(/(src|href)="\/dashboard\/([^"?#]+)"/g, (whole, attr: string, file: string) => {
    const target = path.join(outDir, file);
    return fs.existsSync(target) ? `${attr}="/dashboard/${file}?v=${assetVersion(fs.readFileSync(target))}"` : whole;
  });
  fs.writeFileSync(htmlFile, html);
}

function compress(file: string) {
  const body = fs.readFileSync(file);
  fs.writeFileSync(`${file}.br`, zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } }));
  fs.writeFileSync(`${file}.gz`, zlib.gzipSync(body, { level: 9 }));
}

// Run from the build: node dist/shared/dashboard/build-assets.js <repo root>
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const root = path.resolve(process.argv[2] ?? '.');
  const written = buildDashboardAssets(path.join(root, 'shared/dashboard/assets'), path.join(root, 'dist/dashboard'));
  process.stdout.write(`dashboard assets: ${written.length} files in dist/dashboard, with brotli and gzip variants\n`);
}
