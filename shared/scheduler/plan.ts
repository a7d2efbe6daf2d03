import { isDeepStrictEqual } from 'node:util';
import { functionSpec } from '../app/manifest.js';
import { freezeWindow, type FreezePolicy } from '../domain/freeze-policy.js';
import { sessionStartsAt, type Race } from '../domain/reference.js';
import type { JobSpec, RetryPolicy, Scheduler } from './port.js';

export const JOB_PREFIX = 'pitwall-race-';

export interface PlanOptions {
  policy: FreezePolicy;
  /** FUNCTIONS_BASE_URL: every function is at <base>/<function>. */
  functionsBaseUrl: string;
  serviceAccountEmail?: string;
  /** Result sync this many hours after the race start. */
  syncAfterHours: number;
  /** Only races starting within this many days are scheduled. */
  horizonDays: number;
}

/** Freezing may be refused (409) only if called early; a few quick retries suffice. */
const freezeRetry: RetryPolicy = { retryCount: 3, minBackoffSeconds: 60, maxBackoffSeconds: 600, maxDoublings: 2, maxRetryDurationSeconds: 3600 };
/** Results can take hours to be published: Scheduler retries on the 503 for up to a day. */
const syncRetry: RetryPolicy = { retryCount: 5, minBackoffSeconds: 900, maxBackoffSeconds: 7200, maxDoublings: 3, maxRetryDurationSeconds: 86_400 };

/** A one-shot instant as a cron line (minute hour day month *); the job is deleted once its race is past. */
export function cronAt(at: Date): string {
  return `${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The functions the per-race jobs call (their scheduledBy in shared/app/function-manifest.json names per-race:freeze and per-race:sync). */
const FREEZE_FUNCTION = functionSpec('predict').name;
const SYNC_FUNCTION = functionSpec('syncResults').name;

/** The jobs the coming race weekends need: a freeze and a result sync per race. */
export function planJobs(races: readonly Race[], now: Date, o: PlanOptions): JobSpec[] {
  const base = o.functionsBaseUrl.replace(/\/+$/, '');
  const horizon = now.getTime() + o.horizonDays * 86_400_000;
  const jobs: JobSpec[] = [];
  for (const race of races) {
    const start = sessionStartsAt(race.sessions.race);
    const syncAt = new Date(start.getTime() + o.syncAfterHours * 3600_000);
    if (syncAt <= now || start.getTime() > horizon) continue;
    const id = `${JOB_PREFIX}${race.season}-r${pad(race.round)}`;
    const oidc = (fn: string) => (o.serviceAccountEmail ? { oidc: { serviceAccountEmail: o.serviceAccountEmail, audience: `${base}/${fn}` } } : {});
    const freezeAt = freezeWindow(race, o.policy).allowedAt;
    if (freezeAt > now) {
      jobs.push({
        id: `${id}-freeze`,
        description: `Freeze the forecast of the ${race.season} ${race.name} (${o.policy.kind})`,
        schedule: cronAt(freezeAt),
        timeZone: 'Etc/UTC',
        uri: `${base}/${FREEZE_FUNCTION}?year=${race.season}&race=${race.round}`,
        httpMethod: 'POST',
        ...oidc(FREEZE_FUNCTION),
        retry: freezeRetry,
        attemptDeadlineSeconds: 120,
      });
    }
    jobs.push({
      id: `${id}-sync`,
      description: `Sync and evaluate the result of the ${race.season} ${race.name}`,
      schedule: cronAt(syncAt),
      timeZone: 'Etc/UTC',
      uri: `${base}/${SYNC_FUNCTION}/${race.season}/${race.round}`,
      httpMethod: 'POST',
      ...oidc(SYNC_FUNCTION),
      retry: syncRetry,
      attemptDeadlineSeconds: 300,
    });
  }
  return jobs;
}

export interface ReconcileSummary {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
}

/**
 * Makes the scheduler hold exactly `desired` among pitwall's per-race jobs: creates the
 * missing, updates the changed, deletes the rest (races now past). Deterministic ids make
 * re-runs idempotent.
 */
export async function reconcileJobs(scheduler: Scheduler, desired: readonly JobSpec[]): Promise<ReconcileSummary> {
  const existing = new Map((await scheduler.list(JOB_PREFIX)).map((j) => [j.id, j]));
  const summary: ReconcileSummary = { created: [], updated: [], unchanged: [], deleted: [] };
  for (const job of desired) {
    const current = existing.get(job.id);
    existing.delete(job.id);
    if (!current) {
      await scheduler.create(job);
      summary.created.push(job.id);
    } else if (!isDeepStrictEqual(current, job)) {
      await scheduler.update(job);
      summary.updated.push(job.id);
    } else {
      summary.unchanged.push(job.id);
    }
  }
  for (const id of existing.keys()) {
    await scheduler.delete(id);
    summary.deleted.push(id);
  }
  return summary;
}
