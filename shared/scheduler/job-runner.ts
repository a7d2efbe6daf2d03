import type { SimulatedClock } from '../clock.js';
import { nextCronRun } from './cron.js';
import type { InMemoryScheduler } from './memory.js';
import type { JobSpec, RetryPolicy } from './port.js';

/** What a job's call answered. */
export interface JobAnswer {
  status: number;
  message?: string;
}

export interface JobRunStats {
  /** Every call made, first attempts and retries. */
  attempts: number;
  retries: number;
  /** Calls answered 2xx. */
  succeeded: number;
  /** Jobs whose last attempt failed with no retry left. */
  gaveUp: string[];
  /** Attempts per job kind (the id's last segment: freeze, sync, qualifying, …) and per status. */
  byKind: Record<string, { attempts: number; failed: number }>;
  byStatus: Record<string, number>;
}

export interface JobRunnerDeps {
  scheduler: InMemoryScheduler;
  clock: SimulatedClock;
  /** Makes the job's HTTP call (its uri, method, body and OIDC identity) and returns the answer. */
  invoke: (job: JobSpec) => Promise<JobAnswer>;
  /** Only jobs whose id starts with it run. */
  prefix: string;
  onAttempt?: (job: JobSpec, at: Date, answer: JobAnswer) => void;
}

interface Pending {
  /** When the failed run first fired, for maxRetryDuration. */
  firstAt: number;
  attempt: number;
  at: number;
}

/**
 * Cloud Scheduler, on a simulated clock, for the in-memory scheduler's jobs: each job fires
 * at its cron instants, a failed call (any non-2xx) is retried with Cloud Scheduler's
 * exponential backoff (min · 2^doublings, capped at max) while retryCount or
 * maxRetryDuration allows (both must be used up), and a retry pending when the next cron
 * instant comes is dropped, as Cloud Scheduler does. The jobs may change while it runs (the
 * schedule function reconciles them): they are listed again before every step. Events run
 * in time order; a call that moves the clock on (pacing, backoff) delays later ones, which
 * then fire late rather than never.
 */
export async function runJobsUntil(deps: JobRunnerDeps, until: Date): Promise<JobRunStats> {
  const stats: JobRunStats = { attempts: 0, retries: 0, succeeded: 0, gaveUp: [], byKind: {}, byStatus: {} };
  /** Per job: the cron instant it last fired at, or when it was first seen (fires strictly after). */
  const firedUpTo = new Map<string, number>();
  const pending = new Map<string, Pending>();
  for (;;) {
    const now = deps.clock.now().getTime();
    const jobs = await deps.scheduler.list(deps.prefix);
    let next: { job: JobSpec; at: number; retry: boolean } | undefined;
    for (const job of jobs) {
      if (!firedUpTo.has(job.id)) firedUpTo.set(job.id, now - 1);
      const fire = nextCronRun(job.schedule, new Date(firedUpTo.get(job.id)!), job.timeZone)?.getTime();
      const retry = pending.get(job.id);
      // The next scheduled execution replaces a pending retry.
      if (retry && fire !== undefined && fire <= retry.at) pending.delete(job.id);
      const candidate = pending.has(job.id) ? { at: retry!.at, retry: true } : fire !== undefined ? { at: fire, retry: false } : undefined;
      if (candidate && (!next || candidate.at < next.at)) next = { job, ...candidate };
    }
    for (const id of firedUpTo.keys()) {
      if (jobs.some((j) => j.id === id)) continue;
      firedUpTo.delete(id);
      pending.delete(id);
    }
    if (!next || next.at > until.getTime()) return stats;

    const { job, retry } = next;
    const at = Math.max(now, next.at);
    deps.clock.set(new Date(at));
    const answer = await deps.invoke(job).catch((err: unknown) => ({ status: 599, message: err instanceof Error ? err.message : String(err) }));
    const ok = answer.status >= 200 && answer.status < 300;
    deps.scheduler.recordAttempt(job.id, new Date(at), answer.status, ok ? '' : (answer.message ?? '').slice(0, 500));
    deps.onAttempt?.(job, new Date(at), answer);
    const kind = job.id.slice(job.id.lastIndexOf('-') + 1);
    const k = (stats.byKind[kind] ??= { attempts: 0, failed: 0 });
    k.attempts++;
    stats.attempts++;
    stats.byStatus[answer.status] = (stats.byStatus[answer.status] ?? 0) + 1;
    if (retry) stats.retries++;
    else firedUpTo.set(job.id, next.at);

    const prior = pending.get(job.id);
    pending.delete(job.id);
    if (ok) {
      stats.succeeded++;
      continue;
    }
    k.failed++;
    const attempt = (prior?.attempt ?? 0) + 1;
    const firstAt = prior?.firstAt ?? next.at;
    const wait = backoffSeconds(job.retry, attempt) * 1000;
    if (mayRetry(job.retry, attempt, at + wait - firstAt)) pending.set(job.id, { firstAt, attempt, at: at + wait });
    else stats.gaveUp.push(`${job.id} (${answer.status}${answer.message ? `: ${answer.message.slice(0, 160)}` : ''})`);
  }
}

/** The wait before retry `attempt` (1 = the first retry): min · 2^(attempt − 1), doubling at most maxDoublings times, at most max. */
export function backoffSeconds(p: RetryPolicy, attempt: number): number {
  return Math.min(p.maxBackoffSeconds, p.minBackoffSeconds * 2 ** Math.min(attempt - 1, p.maxDoublings));
}

/** Cloud Scheduler retries while either limit is left (both must be reached to stop); retryCount 0 means never. */
export function mayRetry(p: RetryPolicy, attempt: number, elapsedMs: number): boolean {
  if (p.retryCount === 0) return false;
  return attempt <= p.retryCount || (p.maxRetryDurationSeconds > 0 && elapsedMs <= p.maxRetryDurationSeconds * 1000);
}
