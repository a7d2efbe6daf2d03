import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { IngestionRun, TableCounts } from '../repository/ingestion-runs-store.js';
import type { Repository } from '../repository/index.js';
import { JOB_PREFIX } from '../scheduler/plan.js';
import type { JobRunState, Scheduler } from '../scheduler/port.js';
import { decimalInteger } from './schemas.js';

/** Every pitwall job: the schedule function's per-race ones and Terraform's recurring ones. */
const PITWALL_JOBS = 'pitwall-';
export const JOB_RUNS_PAGE = 20;
export const MAX_JOB_RUNS_PAGE = 100;

export const jobsStatusQuery = z.object({
  limit: decimalInteger('limit', 1, MAX_JOB_RUNS_PAGE, '?limit=20').optional().describe(`ingestion runs per page (default ${JOB_RUNS_PAGE})`),
  before: decimalInteger('before', 1, Number.MAX_SAFE_INTEGER, '?before=120').optional().describe('the next page: runs older than this run id (nextBefore of the previous page)'),
});

const counts = z.object({ read: z.number(), inserted: z.number(), updated: z.number(), unchanged: z.number(), quarantined: z.number() });

const jobBody = z.object({
  id: z.string(),
  kind: z.enum(['race', 'recurring']).describe('race: planned by the schedule function for one race weekend; recurring: provisioned by Terraform'),
  race: z.object({ season: z.number().int(), round: z.number().int() }).nullable(),
  description: z.string(),
  schedule: z.string().describe('cron line in timeZone'),
  timeZone: z.string(),
  target: z.string().describe("the path (and query) the job POSTs to under its function's URL"),
  state: z.enum(['ENABLED', 'PAUSED', 'DISABLED', 'UPDATE_FAILED', 'STATE_UNSPECIFIED']),
  lastRunAt: z.string().nullable().describe('when the last attempt started; null before the first'),
  lastOutcome: z.enum(['succeeded', 'failed']).nullable(),
  lastStatus: z.object({ code: z.number().int(), message: z.string() }).nullable().describe("the last attempt's google.rpc.Status (code 0 is OK)"),
  nextRunAt: z.string().nullable(),
});

const runBody = z.object({
  id: z.number().int(),
  source: z.string(),
  parameters: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  status: z.enum(['running', 'succeeded', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
  counts: z.record(z.string(), counts).describe('per table'),
  totals: counts,
});

export const jobsStatusBody = z.object({
  now: z.string(),
  season: z.number().int(),
  jobs: z.array(jobBody),
  jobsUnavailable: z.string().nullable().describe('why the jobs could not be read (the ingestion runs are listed anyway)'),
  ingestionRuns: z.array(runBody),
  nextBefore: z.number().int().nullable().describe('pass as ?before= for the next page of ingestion runs; null on the last page'),
});

export interface JobsStatusDeps {
  repo: Repository;
  clock: Clock;
  /** Where the jobs are read: Cloud Scheduler in production, the in-memory scheduler locally. */
  scheduler?: () => Promise<Scheduler>;
}

/**
 * GET /jobs/status: the current season's per-race jobs and the recurring ones, each with its
 * last run, outcome and next run, and the ingestion runs newest first with their counts (paged).
 */
export async function jobsStatus(deps: JobsStatusDeps, query: { limit?: number | undefined; before?: number | undefined }): Promise<z.infer<typeof jobsStatusBody>> {
  const now = deps.clock.now();
  const season = now.getUTCFullYear();
  const limit = query.limit ?? JOB_RUNS_PAGE;
  const [jobs, runs] = await Promise.all([readJobs(deps, season), deps.repo.ingestionRuns.latest(limit + 1, query.before)]);
  const page = runs.slice(0, limit);
  return {
    now: now.toISOString(),
    season,
    jobs: jobs.ok ? jobs.jobs : [],
    jobsUnavailable: jobs.ok ? null : jobs.detail,
    ingestionRuns: page.map(presentRun),
    nextBefore: runs.length > limit ? page[page.length - 1]!.id : null,
  };
}

async function readJobs(deps: JobsStatusDeps, season: number): Promise<{ ok: true; jobs: z.infer<typeof jobBody>[] } | { ok: false; detail: string }> {
  if (!deps.scheduler) return { ok: false, detail: 'no scheduler is configured for this function' };
  let states: JobRunState[];
  try {
    states = await (await deps.scheduler()).states(PITWALL_JOBS);
  } catch (err) {
    // Public: the failure's code, never its message (project, hosts, accounts).
    const code = (err as { code?: unknown } | null)?.code;
    return { ok: false, detail: `the scheduler could not be read${typeof code === 'string' || typeof code === 'number' ? ` (${String(code).slice(0, 40)})` : ''}` };
  }
  const jobs = states
    .map((s) => ({ s, race: raceOf(s.id) }))
    .filter(({ race }) => race === null || race.season === season)
    .map(({ s, race }) => ({
      id: s.id,
      kind: race ? ('race' as const) : ('recurring' as const),
      race,
      description: s.description,
      schedule: s.schedule,
      timeZone: s.timeZone,
      target: targetOf(s.uri),
      state: s.state,
      lastRunAt: s.lastAttemptAt?.toISOString() ?? null,
      lastOutcome: s.lastStatus ? (s.lastStatus.code === 0 ? ('succeeded' as const) : ('failed' as const)) : null,
      lastStatus: s.lastStatus,
      nextRunAt: s.state === 'ENABLED' ? (s.nextRunAt?.toISOString() ?? null) : null,
    }))
    .sort((a, b) => (a.nextRunAt ?? '~').localeCompare(b.nextRunAt ?? '~') || a.id.localeCompare(b.id));
  return { ok: true, jobs };
}

/** pitwall-race-2025-r08-freeze → season 2025, round 8; null for any other job. */
function raceOf(id: string): { season: number; round: number } | null {
  const m = new RegExp(`^${JOB_PREFIX}(\\d{4})-r(\\d+)-`).exec(id);
  return m ? { season: Number(m[1]), round: Number(m[2]) } : null;
}

/** A job's target without the deployment's host: the function and its path. */
function targetOf(uri: string): string {
  try {
    const u = new URL(uri);
    return `${u.pathname}${u.search}`;
  } catch {
    return '';
  }
}

const ZERO: TableCounts = { read: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0 };

function presentRun(run: IngestionRun): z.infer<typeof runBody> {
  const totals = { ...ZERO };
  for (const c of Object.values(run.counts)) for (const k of Object.keys(ZERO) as (keyof TableCounts)[]) totals[k] += Number(c[k] ?? 0);
  return {
    id: run.id,
    source: run.source,
    parameters: publicParameters(run.parameters),
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    error: run.error,
    counts: run.counts,
    totals,
  };
}

/** A run's scalar parameters (season, round, parts...); file paths and URLs are not shown publicly. */
function publicParameters(p: Record<string, unknown>): Record<string, string | number | boolean | null> {
  const out: Record<string, string | number | boolean | null> = {};
  for (const [k, v] of Object.entries(p)) {
    if (typeof v === 'number' || typeof v === 'boolean' || v === null) out[k] = v;
    else if (typeof v === 'string') out[k] = /[/\\]|:\/\//.test(v) ? '(path)' : v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')) out[k] = v.join(',');
  }
  return out;
}
