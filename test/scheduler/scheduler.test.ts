import { CloudSchedulerClient } from '@google-cloud/scheduler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleCloudScheduler } from '../../shared/scheduler/google.js';
import { InMemoryScheduler } from '../../shared/scheduler/memory.js';
import { planJobs, reconcileJobs } from '../../shared/scheduler/plan.js';
import type { Scheduler } from '../../shared/scheduler/port.js';
import { startFakeScheduler } from '../helpers/fake-scheduler.js';
import { SimulatedClock } from '../../shared/clock.js';
import { calendar, options, race } from './calendar.js';


interface SchedulerUnderTest {
  scheduler: Scheduler;
  stored: () => number;
  /** The clock the scheduler reports next runs on. */
  clock: SimulatedClock;
  /** Job `id` ran at `at` and its target answered `httpStatus` (Cloud Scheduler records that itself; in memory the replay reports it). */
  attempt: (id: string, at: Date, httpStatus: number) => void;
  /** Checks on what the implementation did on the wire, after the sequence. */
  afterwards?: () => void;
  teardown?: () => Promise<void>;
}

/** The same behaviour over both implementations of the port; each run on a scheduler of its own. */
function reconcileContract(name: string, make: () => Promise<SchedulerUnderTest>) {
  describe(`reconciling jobs with ${name}`, () => {
    let env: SchedulerUnderTest | undefined;
    const under = () => env!;
    beforeEach(async () => {
      env = await make();
    });
    afterEach(async () => {
      await env?.teardown?.();
      env = undefined;
    });

    it('creates, is idempotent on re-run, updates changes and deletes the jobs of past races', async () => {
      const env = under();
      const planned = planJobs(calendar, new Date('2025-03-01T00:00:00Z'), options);
      const first = await reconcileJobs(env.scheduler, planned);
      expect([...first.created].sort()).toEqual(planned.map((j) => j.id).sort());
      expect(env.stored()).toBe(planned.length);
      const again = await reconcileJobs(env.scheduler, planJobs(calendar, new Date('2025-03-01T00:00:00Z'), options));
      expect(again).toEqual({ created: [], updated: [], unchanged: first.created, deleted: [] });
      expect(env.stored()).toBe(planned.length);

      // An ingest job's JSON body and every field come back as planned.
      const listed = await env.scheduler.list('pitwall-race-');
      for (const id of ['pitwall-race-2025-r01-qualifying', 'pitwall-race-2025-r01-sync']) {
        expect(listed.find((j) => j.id === id)).toEqual(planned.find((j) => j.id === id));
      }

      // R2's race moves two hours later; by the 19th R1's retries are over and R3 is within the horizon.
      const moved = [race(1, '2025-03-16', '2025-03-15'), { ...race(2, '2025-03-23', '2025-03-22'), sessions: { race: { date: '2025-03-23', time: '15:00:00' }, qualifying: { date: '2025-03-22', time: '14:00:00' } } }, calendar[2]!];
      const replanned = planJobs(moved, new Date('2025-03-19T00:00:00Z'), options);
      const later = await reconcileJobs(env.scheduler, replanned);
      const r = (round: number, kinds: string[]) => kinds.map((k) => `pitwall-race-2025-r0${round}-${k}`).sort();
      expect(later.deleted.sort()).toEqual(r(1, ['qualifying', 'freeze', 'weather', 'sync', 'postrace', 'openf1']));
      // Everything timed from the race start changes, and the qualifying ingest's retries now last until it.
      expect(later.updated.sort()).toEqual(r(2, ['qualifying', 'freeze', 'sync', 'postrace', 'openf1']));
      expect(later.unchanged).toEqual([]);
      expect(later.created.sort()).toEqual([...r(2, ['weather']), ...r(3, ['qualifying', 'freeze', 'sync', 'postrace', 'openf1'])].sort());
      expect(env.stored()).toBe(replanned.length);
      env.afterwards?.();
    });

    it("reports each job's last attempt, its outcome and its next run, without changing what list() returns", async () => {
      const env = under();
      env.clock.set(new Date('2025-03-01T00:00:00Z'));
      const planned = planJobs(calendar, env.clock.now(), options);
      await reconcileJobs(env.scheduler, planned);
      const before = await env.scheduler.states('pitwall-race-');
      expect(before.map((s) => s.id).sort()).toEqual(planned.map((j) => j.id).sort());
      for (const s of before) {
        expect(s).toMatchObject({ state: 'ENABLED', lastAttemptAt: null, lastStatus: null });
        const job = planned.find((j) => j.id === s.id)!;
        expect(s).toMatchObject({ schedule: job.schedule, uri: job.uri, description: job.description });
      }
      // Race 1's freeze is due at 15:00 on 15 March (post-qualifying: an hour after its 14:00 qualifying).
      const freeze = before.find((s) => s.id === 'pitwall-race-2025-r01-freeze')!;
      expect(freeze.nextRunAt?.toISOString()).toBe(new Date(Date.UTC(2025, 2, 15, Number(freeze.schedule.split(' ')[1]), Number(freeze.schedule.split(' ')[0]))).toISOString());

      const ranAt = freeze.nextRunAt!;
      env.clock.set(new Date(ranAt.getTime() + 60_000));
      env.attempt('pitwall-race-2025-r01-freeze', ranAt, 200);
      env.attempt('pitwall-race-2025-r01-sync', new Date(ranAt.getTime() + 30_000), 503);
      const after = new Map((await env.scheduler.states('pitwall-race-2025-r01')).map((s) => [s.id, s]));
      expect([...after.keys()].every((id) => id.startsWith('pitwall-race-2025-r01-'))).toBe(true);
      // The jobs nobody ran are still unattempted.
      expect([...after.values()].filter((s) => s.lastAttemptAt !== null).map((s) => s.id).sort()).toEqual(['pitwall-race-2025-r01-freeze', 'pitwall-race-2025-r01-sync']);
      expect(after.get('pitwall-race-2025-r01-freeze')).toMatchObject({ lastAttemptAt: ranAt, lastStatus: { code: 0 } });
      // A one-shot line recurs a year on: Cloud Scheduler's next run of a past race's job (the schedule function deletes it first).
      expect(after.get('pitwall-race-2025-r01-freeze')!.nextRunAt?.getUTCFullYear()).toBe(2026);
      expect(after.get('pitwall-race-2025-r01-sync')).toMatchObject({ lastStatus: { code: 14, message: 'HTTP 503' } });
      expect(after.get('pitwall-race-2025-r01-sync')!.nextRunAt!.getTime()).toBeGreaterThan(env.clock.now().getTime());
      // The run state stays out of the specs the reconciler compares.
      expect(await reconcileJobs(env.scheduler, planJobs(calendar, new Date('2025-03-01T00:00:00Z'), options))).toMatchObject({ created: [], updated: [], deleted: [] });
    });
  });
}

reconcileContract('the in-memory scheduler', async () => {
  const clock = new SimulatedClock(new Date('2025-03-01T00:00:00Z'));
  const s = new InMemoryScheduler(clock);
  return { scheduler: s, clock, stored: () => s.jobs.size, attempt: (id, at, status) => s.recordAttempt(id, at, status) };
});

reconcileContract('the @google-cloud/scheduler client against the fake REST API', async () => {
  const clock = new SimulatedClock(new Date('2025-03-01T00:00:00Z'));
  const fake = await startFakeScheduler({ now: () => clock.now() });
  const client = new CloudSchedulerClient({
    fallback: true,
    apiEndpoint: '127.0.0.1',
    port: fake.port,
    protocol: 'http',
    // A static token: the fake checks no credentials, and none must be looked up.
    authClient: {
      getRequestHeaders: async () => new Headers({ Authorization: 'Bearer test' }),
      fetch: (url: string, init: RequestInit & { headers: Headers }) => {
        init.headers.set('Authorization', 'Bearer test');
        return fetch(url, init);
      },
    },
  } as ConstructorParameters<typeof CloudSchedulerClient>[0]);
  return {
    scheduler: new GoogleCloudScheduler(client, { project: 'proj', region: 'europe-west1' }),
    clock,
    stored: () => fake.jobs.size,
    attempt: (id, at, status) => fake.attempt(`projects/proj/locations/europe-west1/jobs/${id}`, at, status),
    // The client speaks the Scheduler REST surface: v1 paths under the project and region, every verb.
    afterwards: () => {
      expect(fake.requests.length).toBeGreaterThan(0);
      for (const r of fake.requests) expect(r.path).toMatch(/^\/v1\/projects\/proj\/locations\/europe-west1\/jobs/);
      expect(new Set(fake.requests.map((r) => r.method))).toEqual(new Set(['GET', 'POST', 'PATCH', 'DELETE']));
    },
    teardown: async () => {
      await client.close();
      await fake.close();
    },
  };
});
