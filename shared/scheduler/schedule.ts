import type { Config } from '../config/config.js';
import { ValidationError } from '../errors.js';
import { assertWriteAllowed, type AuthPolicy } from '../http/auth.js';
import { json, methodNotAllowed, type Handler } from '../http/handler.js';
import type { Clock } from '../lifecycle/clock.js';
import type { Repository } from '../repository/index.js';
import { GoogleCloudScheduler } from './google.js';
import { InMemoryScheduler } from './memory.js';
import { planJobs, reconcileJobs, type ReconcileSummary } from './plan.js';
import type { Scheduler } from './port.js';

export const SYNC_AFTER_RACE_HOURS = 4;
export const SCHEDULE_HORIZON_DAYS = 21;

/** Cloud Scheduler when a GCP project is configured (SCHEDULER_API_ENDPOINT for a local fake), else in memory. */
export async function createScheduler(config: Config): Promise<Scheduler> {
  if (!config.gcp.project) return new InMemoryScheduler();
  // Loaded only when used: the client library (gax, protobufs) costs cold-start time.
  const { CloudSchedulerClient } = await import('@google-cloud/scheduler');
  let endpoint = {};
  if (config.gcp.schedulerEndpoint) {
    const u = new URL(config.gcp.schedulerEndpoint);
    endpoint = { fallback: true, apiEndpoint: u.hostname, port: Number(u.port || (u.protocol === 'http:' ? 80 : 443)), protocol: u.protocol.replace(':', '') };
  }
  return new GoogleCloudScheduler(new CloudSchedulerClient({ projectId: config.gcp.project, ...endpoint }), { project: config.gcp.project, region: config.gcp.region });
}

/** Reads the calendar, plans the coming race weekends' jobs and reconciles the scheduler with them. */
export async function scheduleRaces(deps: { repo: Repository; scheduler: Scheduler; clock: Clock; config: Config }): Promise<ReconcileSummary & { races: number }> {
  const base = deps.config.functionsBaseUrl;
  if (!base) throw new ValidationError('FUNCTIONS_BASE_URL is not set: the jobs would have no target');
  const now = deps.clock.now();
  const races = await deps.repo.races.list({ fromSeason: now.getUTCFullYear() - 1 });
  const desired = planJobs(races, now, {
    policy: deps.config.freezePolicy,
    functionsBaseUrl: base,
    ...(deps.config.gcp.schedulerServiceAccount ? { serviceAccountEmail: deps.config.gcp.schedulerServiceAccount } : {}),
    syncAfterHours: SYNC_AFTER_RACE_HOURS,
    horizonDays: SCHEDULE_HORIZON_DAYS,
  });
  const summary = await reconcileJobs(deps.scheduler, desired);
  return { ...summary, races: new Set(desired.map((j) => j.id.replace(/-(freeze|sync)$/, ''))).size };
}

/** POST /schedule (the daily calendar refresh calls it). */
export function scheduleHandler(deps: { repo: Repository; scheduler: Scheduler | (() => Promise<Scheduler>); clock: Clock; config: Config; auth: AuthPolicy }): Handler {
  let scheduler: Promise<Scheduler> | undefined;
  return async (req) => {
    if (req.method.toUpperCase() !== 'POST') return methodNotAllowed(['POST']);
    await assertWriteAllowed(deps.auth, req.headers);
    scheduler ??= typeof deps.scheduler === 'function' ? deps.scheduler() : Promise.resolve(deps.scheduler);
    return json(200, await scheduleRaces({ ...deps, scheduler: await scheduler }));
  };
}
