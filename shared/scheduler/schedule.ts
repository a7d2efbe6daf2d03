import type { Config } from '../config/config.js';
import { SYNC_AFTER_RACE_HOURS } from '../domain/result-sync.js';
import { z } from 'zod';
import { MisconfiguredError } from '../errors.js';
import { json } from '../http/handler.js';
import { bind, defineRoute, writeRefusals, type BoundRoute } from '../http/route.js';
import type { Clock } from '../clock.js';
import type { Repository } from '../repository/index.js';
import { GoogleCloudScheduler } from './google.js';
import { InMemoryScheduler } from './memory.js';
import { JOB_PREFIX, planJobs, reconcileJobs, type ReconcileSummary } from './plan.js';
import type { Scheduler } from './port.js';

export const SCHEDULE_HORIZON_DAYS = 21;

/** Cloud Scheduler when a GCP project is configured (SCHEDULER_API_ENDPOINT for a local fake), else in memory. */
export async function createScheduler(config: Config, clock?: Pick<Clock, 'now'>): Promise<Scheduler> {
  // In memory the next runs are computed on `clock` (the replay's simulated one).
  if (!config.gcp.project) return new InMemoryScheduler(clock);
  // Loaded only when used: the client library (gax, protobufs) costs cold-start time.
  const { CloudSchedulerClient } = await import('@google-cloud/scheduler');
  let endpoint = {};
  if (config.gcp.schedulerEndpoint) {
    const u = new URL(config.gcp.schedulerEndpoint);
    endpoint = { fallback: true, apiEndpoint: u.hostname, port: Number(u.port || (u.protocol === 'http:' ? 80 : 443)), protocol: u.protocol.replace(':', '') };
  }
  return new GoogleCloudScheduler(new CloudSchedulerClient({ projectId: config.gcp.project, ...endpoint }), { project: config.gcp.project, region: config.gcp.region });
}

/** The outcome of one season's calendar ingest (an ingestion run of source jolpica). */
export interface CalendarRefresh {
  season: number;
  runId: number | null;
  status: 'succeeded' | 'failed';
  error?: string;
}

export interface ScheduleDeps {
  repo: Repository;
  scheduler: Scheduler;
  clock: Clock;
  config: Config;
  /** Ingests a season's calendar (Jolpica's schedule, through the loader); without it the stored calendar is planned as is. */
  ingestCalendar?: (season: number) => Promise<{ runId: number }>;
}

/** This season's calendar, and from November on the next one's (published over the winter). */
export const calendarSeasons = (now: Date): number[] => (now.getUTCMonth() >= 10 ? [now.getUTCFullYear(), now.getUTCFullYear() + 1] : [now.getUTCFullYear()]);

/**
 * Refreshes the calendar, plans the coming race weekends' jobs and reconciles the scheduler
 * with them. A calendar that cannot be fetched leaves the stored one planned (and says so):
 * the jobs already planned must not be lost to an upstream outage.
 */
export async function scheduleRaces(deps: ScheduleDeps): Promise<ReconcileSummary & { races: number; calendar: CalendarRefresh[] }> {
  const base = deps.config.functionsBaseUrl;
  if (!base) throw new MisconfiguredError('FUNCTIONS_BASE_URL is not set on the schedule function: the jobs would have no target; set it to the deployed functions\' base URL (https://REGION-PROJECT.cloudfunctions.net), where each job calls <base>/<function>');
  const now = deps.clock.now();
  const calendar: CalendarRefresh[] = [];
  for (const season of deps.ingestCalendar ? calendarSeasons(now) : []) {
    try {
      calendar.push({ season, runId: (await deps.ingestCalendar!(season)).runId, status: 'succeeded' });
    } catch (err) {
      calendar.push({ season, runId: null, status: 'failed', error: err instanceof Error ? err.message : String(err) });
    }
  }
  const races = await deps.repo.races.list({ fromSeason: now.getUTCFullYear() - 1 });
  const existing = new Set((await deps.scheduler.list(JOB_PREFIX)).map((j) => j.id));
  const desired = planJobs(races, now, {
    existing,
    policy: deps.config.freezePolicy,
    functionsBaseUrl: base,
    ...(deps.config.gcp.schedulerServiceAccount ? { serviceAccountEmail: deps.config.gcp.schedulerServiceAccount } : {}),
    syncAfterHours: SYNC_AFTER_RACE_HOURS,
    horizonDays: SCHEDULE_HORIZON_DAYS,
    live: deps.config.live.enabled,
    preWeekend: deps.config.preWeekendPolicy,
  });
  const summary = await reconcileJobs(deps.scheduler, desired);
  return { ...summary, races: new Set(desired.map((j) => j.id.slice(0, j.id.lastIndexOf('-')))).size, calendar };
}

export const scheduleRoutes = {
  reconcile: defineRoute({
    method: 'POST',
    path: '/',
    summary: "Refresh the calendar from Jolpica, plan the coming race weekends' ingest, freeze, weather and sync jobs and reconcile Cloud Scheduler with them",
    write: true,
    responses: {
      200: {
        description: 'the jobs created, updated, unchanged and deleted',
        schema: z.object({
          created: z.array(z.string()), updated: z.array(z.string()), unchanged: z.array(z.string()), deleted: z.array(z.string()), races: z.number().int(),
          calendar: z.array(z.object({ season: z.number().int(), runId: z.number().int().nullable(), status: z.enum(['succeeded', 'failed']), error: z.string().optional() }))
            .describe('the calendar ingest of each season (this one, and the next from November): a failed one leaves the stored calendar planned'),
        }),
      },
      500: { description: 'FUNCTIONS_BASE_URL is not set', schema: writeRefusals[400].schema },
      ...writeRefusals,
    },
  }),
};

/** POST /schedule (the daily calendar refresh calls it). */
export function scheduleFunction(deps: Omit<ScheduleDeps, 'scheduler'> & { scheduler: () => Promise<Scheduler> }): BoundRoute[] {
  let scheduler: Promise<Scheduler> | undefined;
  return [
    bind(scheduleRoutes.reconcile, async () => {
      scheduler ??= deps.scheduler();
      scheduler.catch(() => (scheduler = undefined));
      return json(200, await scheduleRaces({ ...deps, scheduler: await scheduler }));
    }),
  ];
}
