import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../shared/clock.js';
import { startDevServer, type DevServer } from '../../shared/app/dev-server.js';
import { freezeWindow } from '../../shared/domain/freeze-policy.js';
import { sessionStartsAt } from '../../shared/domain/reference.js';
import { createRepository, type Repository } from '../../shared/repository/index.js';
import type { TableCounts } from '../../shared/repository/ingestion-runs-store.js';
import { planJobs, reconcileJobs } from '../../shared/scheduler/plan.js';
import type { JobSpec, Scheduler } from '../../shared/scheduler/port.js';
import { SCHEDULE_HORIZON_DAYS } from '../../shared/scheduler/schedule.js';
import { SYNC_AFTER_RACE_HOURS } from '../../shared/domain/result-sync.js';
import { buildSeason, type BuiltSeason } from '../helpers/builders.js';
import { backends } from '../helpers/databases.js';
import { googleSchedulerOver, startFakeScheduler, type FakeScheduler } from '../helpers/fake-scheduler.js';
import { asRecord, loadTerraformModule, type Block } from '../infra/hcl.js';
import { repoRoot } from '../infra/repo.js';
import { appOver } from './stack.js';

const backend = backends.find((b) => b.name === 'postgres' && !b.skip) ?? backends[0]!;
const BASE = 'https://europe-west1-proj.cloudfunctions.net';
const SCHEDULER_SA = 'pitwall-scheduler@proj.iam.gserviceaccount.com';
const NAME = (id: string) => `projects/proj/locations/europe-west1/jobs/${id}`;

interface JobsStatus {
  now: string;
  season: number;
  jobs: { id: string; kind: string; race: { season: number; round: number } | null; target: string; state: string; lastRunAt: string | null; lastOutcome: string | null; lastStatus: { code: number; message: string } | null; nextRunAt: string | null }[];
  jobsUnavailable: string | null;
  ingestionRuns: { id: number; source: string; parameters: Record<string, unknown>; status: string; counts: Record<string, unknown>; totals: Record<string, number> }[];
  nextBefore: number | null;
}

/** Terraform's recurring function calls (terraform/scheduler.tf), as Terraform would create them: name, cron (the variable's default), target. */
async function terraformRecurringJobs(): Promise<JobSpec[]> {
  const m = await loadTerraformModule(path.join(repoRoot, 'terraform'));
  return Object.values(asRecord(m.locals.function_schedules)).map((v) => {
    const job = asRecord(v) as Block;
    const variable = /^\$\{var\.(\w+)\}$/.exec(String(job.schedule))?.[1];
    const schedule = variable ? String(m.variables[variable]!.default) : String(job.schedule);
    const fn = String(job.function);
    return {
      id: String(job.name), description: String(job.description), schedule, timeZone: 'Etc/UTC', uri: `${BASE}/${fn}${String(job.path)}`, httpMethod: 'POST',
      oidc: { serviceAccountEmail: SCHEDULER_SA, audience: `${BASE}/${fn}` },
      retry: { retryCount: 3, minBackoffSeconds: 60, maxBackoffSeconds: 600, maxDoublings: 2, maxRetryDurationSeconds: 0 }, attemptDeadlineSeconds: 180,
    };
  });
}

/**
 * GET /jobs/status on the api function, reading Cloud Scheduler through the real client (a
 * local fake of its REST API, whose clock is the stack's) and the ingestion runs from PostgreSQL.
 */
describe('GET /jobs/status', () => {
  let db: Awaited<ReturnType<typeof backend.open>>;
  let repo: Repository;
  let fake: FakeScheduler;
  let google: Awaited<ReturnType<typeof googleSchedulerOver>>;
  let server: DevServer;
  let season: BuiltSeason;
  let planned: JobSpec[];
  let recurring: JobSpec[];
  const clock = new SimulatedClock(new Date('2025-03-10T00:00:00Z'));
  const servers: DevServer[] = [];
  const serve = async (scheduler: () => Promise<Scheduler>) => {
    const s = await startDevServer({ app: appOver(db, { FUNCTIONS_BASE_URL: BASE }), clock, port: 0, scheduler });
    servers.push(s);
    return s;
  };
  const status = async (s: DevServer, query = '') => {
    const res = await fetch(`${s.url}/jobs/status${query}`);
    return { status: res.status, cache: res.headers.get('cache-control'), body: (await res.json()) as JobsStatus };
  };

  beforeAll(async () => {
    db = await backend.open();
    repo = createRepository(db.knex);
    season = await buildSeason(repo, { season: 2025, races: 4, firstRace: '2025-03-16' });
    fake = await startFakeScheduler({ now: () => clock.now() });
    google = await googleSchedulerOver(fake);
    server = await serve(async () => google.scheduler);
    const config = appOver(db).config;
    planned = planJobs(season.races, clock.now(), { policy: config.freezePolicy, functionsBaseUrl: BASE, serviceAccountEmail: SCHEDULER_SA, syncAfterHours: SYNC_AFTER_RACE_HOURS, horizonDays: SCHEDULE_HORIZON_DAYS });
    await reconcileJobs(google.scheduler, planned);
    recurring = await terraformRecurringJobs();
    for (const job of recurring) await google.scheduler.create(job);
    // A job of last season that a missed reconcile left behind: not this season's.
    await google.scheduler.create({ ...planned.find((j) => j.id.endsWith('-sync'))!, id: 'pitwall-race-2024-r24-sync' });
  }, 120_000);
  afterAll(async () => {
    for (const s of servers) await s.close();
    await google?.close();
    await fake?.close();
    await db?.close();
  });

  it("lists this season's per-race jobs and Terraform's recurring ones with their last run, outcome and next run", async () => {
    expect(planned.length).toBeGreaterThan(0);
    const r01 = season.races[0]!;
    const freezeId = 'pitwall-race-2025-r01-freeze';
    // The instant the plan freezes at, from its one-shot line (minute hour day month *), never before the policy allows.
    const [minute, hour, day, month] = planned.find((j) => j.id === freezeId)!.schedule.split(' ').map(Number) as [number, number, number, number];
    const freezeAt = new Date(Date.UTC(2025, month - 1, day, hour, minute));
    expect(freezeAt.getTime()).toBeGreaterThanOrEqual(Math.floor(freezeWindow(r01, appOver(db).config.freezePolicy).allowedAt.getTime() / 60_000) * 60_000);

    const before = await status(server);
    expect(before.status).toBe(200);
    expect(before.cache).toBe('no-store');
    expect(before.body).toMatchObject({ season: 2025, now: '2025-03-10T00:00:00.000Z', jobsUnavailable: null });
    const ids = before.body.jobs.map((j) => j.id);
    expect(new Set(ids)).toEqual(new Set([...planned.map((j) => j.id), ...recurring.map((j) => j.id)]));
    expect(recurring.map((j) => j.id).sort()).toEqual(['pitwall-calendar-refresh', 'pitwall-daily-result-sync']);
    for (const j of before.body.jobs) expect(j).toMatchObject({ state: 'ENABLED', lastRunAt: null, lastOutcome: null, lastStatus: null });
    // Soonest first; the freeze runs at its freeze instant (to the minute), the calendar refresh daily at 05:30 UTC.
    const next = before.body.jobs.map((j) => j.nextRunAt ?? '~');
    expect(next).toEqual([...next].sort());
    const byId = new Map(before.body.jobs.map((j) => [j.id, j]));
    expect(byId.get(freezeId)).toMatchObject({ kind: 'race', race: { season: 2025, round: 1 }, target: '/predict?year=2025&race=1', nextRunAt: freezeAt.toISOString() });
    expect(byId.get('pitwall-calendar-refresh')).toMatchObject({ kind: 'recurring', race: null, target: '/schedule', nextRunAt: '2025-03-10T05:30:00.000Z' });
    expect(byId.get('pitwall-daily-result-sync')).toMatchObject({ target: '/sync-results/latest' });

    // Cloud Scheduler runs the calendar refresh (200) and, later, the freeze, whose first attempt is refused (409).
    clock.set(new Date('2025-03-10T05:31:00Z'));
    fake.attempt(NAME('pitwall-calendar-refresh'), new Date('2025-03-10T05:30:00Z'), 200);
    fake.attempt(NAME(freezeId), freezeAt, 409);
    const after = new Map((await status(server)).body.jobs.map((j) => [j.id, j]));
    expect(after.get('pitwall-calendar-refresh')).toMatchObject({ lastRunAt: '2025-03-10T05:30:00.000Z', lastOutcome: 'succeeded', lastStatus: { code: 0 }, nextRunAt: '2025-03-11T05:30:00.000Z' });
    expect(after.get(freezeId)).toMatchObject({ lastRunAt: freezeAt.toISOString(), lastOutcome: 'failed', lastStatus: { code: 10, message: 'HTTP 409' } });
    expect(sessionStartsAt(r01.sessions.race).getTime()).toBeGreaterThan(freezeAt.getTime());
  });

  it('lists the ingestion runs newest first with their counts per table and in total, a page at a time', async () => {
    const runs = [];
    for (const [i, counts] of ([
      { races: { read: 24, inserted: 24, updated: 0, unchanged: 0, quarantined: 0 } },
      { qualifying: { read: 20, inserted: 18, updated: 1, unchanged: 0, quarantined: 1 }, drivers: { read: 20, inserted: 2, updated: 0, unchanged: 18, quarantined: 0 } },
      {},
    ] as Record<string, TableCounts>[]).entries()) {
      const run = await repo.ingestionRuns.start('jolpica', { season: 2025, round: i + 1, parts: ['qualifying'], path: '/var/data/dump.zip' });
      runs.push(await repo.ingestionRuns.finish(run.id, i === 2 ? { counts, error: 'upstream 502' } : { counts }));
    }
    const first = await status(server, '?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.ingestionRuns.map((r) => r.id)).toEqual([runs[2]!.id, runs[1]!.id]);
    expect(first.body.ingestionRuns[0]).toMatchObject({ status: 'failed', totals: { read: 0, quarantined: 0 } });
    expect(first.body.ingestionRuns[1]).toMatchObject({
      source: 'jolpica', status: 'succeeded', counts: runs[1]!.counts, totals: { read: 40, inserted: 20, updated: 1, unchanged: 18, quarantined: 1 },
      // Scalars as they are; a file path is not shown on the public API.
      parameters: { season: 2025, round: 2, parts: 'qualifying', path: '(path)' },
    });
    expect(first.body.nextBefore).toBe(runs[1]!.id);
    const second = await status(server, `?limit=2&before=${first.body.nextBefore}`);
    expect(second.body.ingestionRuns.map((r) => r.id)).toEqual([runs[0]!.id]);
    expect(second.body.nextBefore).toBeNull();
    expect((await status(server, '?limit=0')).status).toBe(400);
    expect((await status(server, '?limit=101')).status).toBe(400);
  });

  it('still lists the ingestion runs when the scheduler cannot be read, saying why without its message', async () => {
    const denied = await serve(async () => {
      throw Object.assign(new Error('7 PERMISSION_DENIED: pitwall-api@proj.iam.gserviceaccount.com lacks cloudscheduler.jobs.list'), { code: 7 });
    });
    const out = await status(denied);
    expect(out.status).toBe(200);
    expect(out.body.jobs).toEqual([]);
    expect(out.body.jobsUnavailable).toBe('the scheduler could not be read (7)');
    expect(JSON.stringify(out.body)).not.toMatch(/iam\.gserviceaccount/);
    expect(out.body.ingestionRuns.length).toBeGreaterThan(0);
  });
});
