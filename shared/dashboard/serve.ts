import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, NotReadyError } from '../errors.js';
import { header, methodNotAllowed, type Handler, type HttpRequest, type HttpResponse } from '../http/handler.js';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** Encodings the build writes beside a text asset (`<file>.br`, `<file>.gz`), best first. */
export const encodings = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
type Encoding = (typeof encodings)[number]['name'];

/** The version an asset's URL carries (`?v=`): a hash of its content, so a new build is a new URL. */
export const assetVersion = (body: Buffer) => createHash('sha256').update(body).digest('base64url').slice(0, 12);

interface Asset {
  contentType: string;
  version: string;
  variants: Map<Encoding | 'identity', Buffer>;
}

/** A year: an asset asked for by its content version never changes under that URL. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Unversioned URLs (typed by hand, old pages) revalidate after five minutes. */
const SHORT = 'public, max-age=300';

/**
 * Where `npm run build` puts the dashboard: dist/dashboard, found from this module both
 * when it runs from dist/ and from the TypeScript sources (tests).
 */
export function builtDashboardDir(): string {
  const root = path.resolve(import.meta.dirname, '../..');
  return path.basename(root) === 'dist' ? path.join(root, 'dashboard') : path.join(root, 'dist', 'dashboard');
}

/** The encoding to send: the best precompressed one the client accepts (q=0 refuses). */
export function pickEncoding(acceptEncoding: string | undefined, available: Iterable<string>): Encoding | 'identity' {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    if (token) accepted.set(token, q === undefined ? 1 : Number(q));
  }
  const have = new Set(available);
  const ok = (name: string) => have.has(name) && (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  return encodings.find((e) => ok(e.name))?.name ?? 'identity';
}

function readAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (at: string, prefix: string) => {
    const entries = fs.readdirSync(at, { withFileTypes: true });
    const names = new Set(entries.map((e) => e.name));
    for (const entry of entries) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      // A compressed variant is served with its original, not as a file of its own.
      else if (!encodings.some((e) => entry.name.endsWith(e.suffix) && names.has(entry.name.slice(0, -e.suffix.length)))) {
        const body = fs.readFileSync(full);
        const variants = new Map<Encoding | 'identity', Buffer>([['identity', body]]);
        for (const e of encodings) if (names.has(entry.name + e.suffix)) variants.set(e.name, fs.readFileSync(full + e.suffix));
        assets.set(`${prefix}${entry.name}`, {
          contentType: contentTypes[path.extname(entry.name)] ?? 'application/octet-stream',
          version: assetVersion(body),
          variants,
        });
      }
    }
  };
  walk(dir, '');
  return assets;
}

function cacheControl(name: string, asset: Asset, req: HttpRequest): string {
  if (name === 'index.html') return 'no-cache'; // the page names the versions: always revalidated
  return req.query.v === asset.version ? IMMUTABLE : SHORT;
}

/**
 * Serves the dashboard built into `assetsDir` (dist/dashboard): `/` redirects to
 * `/dashboard/`, `/dashboard/<file>` returns the file and `/favicon.ico` the SVG icon.
 * The files are read once, when the handler is created: each with the brotli and gzip
 * variants the build wrote (chosen by Accept-Encoding), revalidated by ETag, and cached
 * for a year when asked for by the content version index.html puts in its URLs.
 * Without a build it answers 503.
 */
export function createDashboardHandler(assetsDir: string): Handler {
  const built = fs.existsSync(path.join(assetsDir, 'index.html'));
  const assets = built ? readAssets(assetsDir) : new Map<string, Asset>();

  return async (req): Promise<HttpResponse> => {
    // Static files: anything but a read is refused, not served as a read.
    const method = req.method.toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(['GET', 'HEAD']);
    // The folder is not named: the read API never shows server paths.
    if (!built) throw new NotReadyError('the dashboard is not built on this server: run npm run build', 60);
    if (req.path === '/' || req.path === '/dashboard') {
      // The query is the page's state (?season=&race=): a shared link keeps it.
      const pairs = Object.entries(req.query).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x): [string, string] => [k, String(x)]));
      const query = new URLSearchParams(pairs).toString();
      return { status: 302, headers: { Location: `/dashboard/${query ? `?${query}` : ''}` } };
    }
    const name = req.path === '/favicon.ico' ? 'favicon.svg' : req.path.replace(/^\/dashboard\/?/, '') || 'index.html';
    const asset = assets.get(name);
    if (!asset) throw new NotFoundError('dashboard file', name);
    const encoding = pickEncoding(header(req, 'accept-encoding'), asset.variants.keys());
    const etag = `"${asset.version}${encoding === 'identity' ? '' : `-${encoding}`}"`;
    const headers: Record<string, string> = {
      'Content-Type': asset.contentType,
      ETag: etag,
      'Cache-Control': cacheControl(name, asset, req),
      Vary: 'Accept-Encoding',
      ...(encoding === 'identity' ? {} : { 'Content-Encoding': encoding }),
    };
    const ifNoneMatch = header(req, 'if-none-match');
    if (ifNoneMatch?.split(',').some((t) => t.trim() === etag)) return { status: 304, headers };
    return { status: 200, headers, body: asset.variants.get(encoding) };
  };
}
