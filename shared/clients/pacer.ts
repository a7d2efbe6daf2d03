import { UpstreamDeadlineError } from '../errors.js';
import type { Clock } from '../clock.js';

/** One token bucket: up to `capacity` requests at once, refilled at `perSecond`. */
export interface BucketSpec {
  capacity: number;
  perSecond: number;
}

/** Jolpica's published limits: 4 requests/s burst, 500 requests/hour sustained. */
export const jolpicaLimits: BucketSpec[] = [
  { capacity: 4, perSecond: 4 },
  { capacity: 500, perSecond: 500 / 3600 },
];

/** OpenF1's free-tier limits: 3 requests/s, 30 requests/minute. */
export const openf1Limits: BucketSpec[] = [
  { capacity: 3, perSecond: 3 },
  { capacity: 30, perSecond: 30 / 60 },
];

/**
 * Client-side pacing for one host: every bucket must hold a token before a request goes
 * out. Callers are served in order (a promise chain), so concurrent callers cannot
 * overtake each other and burst past the limit.
 */
export class Pacer {
  private readonly buckets: { spec: BucketSpec; tokens: number; at: number }[];
  private queue: Promise<void> = Promise.resolve();

  /** `history`: send times of earlier requests (e.g. by another process), oldest first, replayed into the buckets. */
  constructor(
    specs: readonly BucketSpec[],
    private readonly clock: Clock,
    history: readonly number[] = [],
  ) {
    const start = Math.min(clock.now().getTime(), history[0] ?? Number.POSITIVE_INFINITY);
    this.buckets = specs.map((spec) => ({ spec, tokens: spec.capacity, at: start }));
    for (const t of history) {
      this.refill(t);
      for (const b of this.buckets) b.tokens -= 1; // may go below zero: those requests were over budget
    }
    this.refill(clock.now().getTime());
  }

  private refill(now: number): void {
    for (const b of this.buckets) {
      if (now <= b.at) continue;
      b.tokens = Math.min(b.spec.capacity, b.tokens + ((now - b.at) / 1000) * b.spec.perSecond);
      b.at = now;
    }
  }

  /**
   * Resolves when a request may be sent (and takes its token). With `deadlineAt`, a wait that
   * would end after it rejects at once (UpstreamDeadlineError): an exhausted hourly budget
   * must not hold a call until its function times out.
   */
  acquire(deadlineAt?: number): Promise<void> {
    const turn = this.queue.then(() => this.take(deadlineAt));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async take(deadlineAt?: number): Promise<void> {
    for (;;) {
      this.refill(this.clock.now().getTime());
      let wait = 0;
      for (const b of this.buckets) {
        if (b.tokens < 1) wait = Math.max(wait, ((1 - b.tokens) / b.spec.perSecond) * 1000);
      }
      if (wait <= 0) {
        for (const b of this.buckets) b.tokens -= 1;
        return;
      }
      if (deadlineAt !== undefined && this.clock.now().getTime() + wait > deadlineAt) {
        throw new UpstreamDeadlineError(`the request budget allows the next request in ${Math.ceil(wait / 1000)} s, after the deadline`, { waitMs: Math.ceil(wait) });
      }
      await this.clock.sleep(Math.ceil(wait));
    }
  }
}
