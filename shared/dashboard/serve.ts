import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NotFoundError, NotReadyError } from '../errors.js';
import { header, type Handler, type HttpResponse } from '../http/handler.js';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

interface Asset {
  body: Buffer;
  contentType: string;
  etag: string;
}

/**
 * Where `npm run build` puts the dashboard: dist/dashboard, found from this module both
 * when it runs from dist/ and from the TypeScript sources (tests).
 */
export function builtDashboardDir(): string {
  const root = path.resolve(import.meta.dirname, '../..');
  return path.basename(root) === 'dist' ? path.join(root, 'dashboard') : path.join(root, 'dist', 'dashboard');
}

/** Paths the dashboard answers; every other path belongs to the read API. */
export const isDashboardPath = (p: string) => p === '/' || p === '/dashboard' || p.startsWith('/dashboard/');

/**
 * Serves the dashboard built into `assetsDir` (dist/dashboard): `/` redirects to
 * `/dashboard/`, and `/dashboard/<file>` returns the file. The files are read once, when
 * the handler is created, and revalidated by ETag. Without a build it answers 503.
 */
export function createDashboardHandler(assetsDir: string): Handler {
  const assets = new Map<string, Asset>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else {
        const body = fs.readFileSync(full);
        assets.set(`${prefix}${entry.name}`, {
          body,
          contentType: contentTypes[path.extname(entry.name)] ?? 'application/octet-stream',
          etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        });
      }
    }
  };
  const built = fs.existsSync(path.join(assetsDir, 'index.html'));
  if (built) walk(assetsDir, '');

  return async (req): Promise<HttpResponse> => {
    if (!built) throw new NotReadyError(`dashboard assets not found in ${assetsDir}: run npm run build`, 60);
    if (req.path === '/' || req.path === '/dashboard') {
      return { status: 302, headers: { Location: '/dashboard/' } };
    }
    const name = req.path.replace(/^\/dashboard\/?/, '') || 'index.html';
    const asset = assets.get(name);
    if (!asset) throw new NotFoundError('dashboard file', name);
    const headers = {
      'Content-Type': asset.contentType,
      ETag: asset.etag,
      'Cache-Control': name === 'index.html' ? 'no-cache' : 'public, max-age=300',
    };
    if (header(req, 'if-none-match') === asset.etag) return { status: 304, headers };
    return { status: 200, headers, body: asset.body };
  };
}
