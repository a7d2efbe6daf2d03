import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log/logger.js';

/**
 * When requests went out, per host, kept on disk beside the response cache, so the hourly
 * budget holds across processes (CLI runs one after the other) and not only within one.
 * Best effort: an unreadable ledger counts as empty, a failed write is logged.
 */
export interface RequestLedger {
  /** Send times (ms) of the requests to `host` since `sinceMs`. */
  since(host: string, sinceMs: number): Promise<number[]>;
  record(host: string, at: number): Promise<void>;
}

/** Entries older than this are pruned (the longest bucket window is an hour). */
const KEEP_MS = 2 * 3_600_000;

export function createRequestLedger(dir: string, logger?: Logger): RequestLedger {
  const file = (host: string) => path.join(dir, `requests-${host.replace(/[^A-Za-z0-9.-]/g, '_')}.json`);
  const read = async (host: string): Promise<number[]> => {
    try {
      const parsed = JSON.parse(await fs.readFile(file(host), 'utf8')) as unknown;
      return Array.isArray(parsed) ? parsed.filter((t): t is number => typeof t === 'number') : [];
    } catch {
      return [];
    }
  };
  // One write at a time per process, so appends do not overwrite each other.
  let queue: Promise<void> = Promise.resolve();
  return {
    async since(host, sinceMs) {
      return (await read(host)).filter((t) => t >= sinceMs).sort((a, b) => a - b);
    },
    record(host, at) {
      queue = queue.then(async () => {
        try {
          const kept = (await read(host)).filter((t) => t >= at - KEEP_MS);
          await fs.mkdir(dir, { recursive: true });
          const tmp = `${file(host)}.${process.pid}.tmp`;
          await fs.writeFile(tmp, JSON.stringify([...kept, at]));
          await fs.rename(tmp, file(host));
        } catch (err) {
          logger?.warn('request ledger write failed', { host, err });
        }
      });
      return queue;
    },
  };
}
