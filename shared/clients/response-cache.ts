import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.js';

/**
 * On-disk cache of successful response bodies, one file per URL (named by the URL's
 * sha256). The folder is created on first write; an unreadable or corrupt entry is
 * treated as a miss (and overwritten by the refetch), never as an error.
 */
export interface ResponseCache {
  /** The cached body, unless older than `maxAgeMs` (default: any age). */
  get(url: string, maxAgeMs?: number): Promise<unknown | undefined>;
  set(url: string, body: unknown): Promise<void>;
  /** Drops an entry (e.g. its body no longer passes validation). */
  delete(url: string): Promise<void>;
}

interface Entry {
  url: string;
  fetchedAt: string;
  body: unknown;
}

export function createResponseCache(dir: string, logger?: Logger, now: () => number = Date.now): ResponseCache {
  const file = (url: string) => path.join(dir, `${createHash('sha256').update(url).digest('hex')}.json`);
  return {
    async get(url, maxAgeMs = Number.POSITIVE_INFINITY) {
      let text: string;
      try {
        text = await fs.readFile(file(url), 'utf8');
      } catch {
        return undefined;
      }
      try {
        const entry = JSON.parse(text) as Partial<Entry>;
        if (entry && entry.url === url && 'body' in entry) {
          const age = now() - Date.parse(entry.fetchedAt ?? '');
          // An entry without a readable date counts as stale (refetched), never as fresh.
          return age <= maxAgeMs ? entry.body : undefined;
        }
      } catch {
        // fall through: corrupt entry
      }
      logger?.warn('corrupt http cache entry ignored; refetching', { url, file: file(url) });
      return undefined;
    },
    async set(url, body) {
      const target = file(url);
      await fs.mkdir(dir, { recursive: true });
      // Write then rename, so a crash never leaves a half-written entry under the real name.
      const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      const entry: Entry = { url, fetchedAt: new Date(now()).toISOString(), body };
      await fs.writeFile(tmp, JSON.stringify(entry));
      await fs.rename(tmp, target);
    },
    async delete(url) {
      await fs.rm(file(url), { force: true });
    },
  };
}
