import { seededRandom } from '../evaluation/bootstrap.js';
/**
 * Seeded, deterministic upstream faults: a share of requests answers 429 (with Retry-After)
 * and a share 5xx. The same URL never faults twice in a row, so a client that retries
 * always gets through; the same seed and request order give the same faults.
 */

export interface FaultOptions {
  seed: number;
  /** Share of requests answered 429 (0..1). */
  throttleRate: number;
  /** Share of requests answered 5xx (0..1). */
  errorRate: number;
}

export const DEFAULT_FAULTS: FaultOptions = { seed: 15, throttleRate: 0.02, errorRate: 0.01 };

export type Fault = { kind: 'throttle'; retryAfterSeconds: number } | { kind: 'error'; status: 500 | 502 | 503 };

export function createFaults(options: FaultOptions): { next(url: string): Fault | undefined } {
  const random = seededRandom(options.seed);
  const faultedLast = new Set<string>();
  return {
    next(url) {
      // Drawn for every request, so one URL's retry does not shift the faults of the others.
      const r = random();
      const pick = random();
      if (faultedLast.delete(url)) return undefined;
      let fault: Fault | undefined;
      if (r < options.throttleRate) fault = { kind: 'throttle', retryAfterSeconds: 1 + Math.floor(pick * 5) };
      else if (r < options.throttleRate + options.errorRate) fault = { kind: 'error', status: ([500, 502, 503] as const)[Math.floor(pick * 3)]! };
      if (fault) faultedLast.add(url);
      return fault;
    },
  };
}
