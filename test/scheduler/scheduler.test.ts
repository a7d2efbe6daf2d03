import { CloudSchedulerClient } from '@google-cloud/scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Race } from '../../shared/domain/reference.js';
import { GoogleCloudScheduler } from '../../shared/scheduler/google.js';
import { InMemoryScheduler } from '../../shared/scheduler/memory.js';
import { cronAt, planJobs, reconcileJobs, type PlanOptions } from '../../shared/scheduler/plan.js';
import type { Scheduler } from '../../shared/scheduler/port.js';
import { startFakeScheduler, type FakeScheduler } from '../helpers/fake-scheduler.js';

const race = (round: number, date: string, quali: string): Race => ({
  id: round, season: 2025, round, circuitId: 1, name: `Race ${round} Grand Prix`, url: null,
  sessions: { race: { date, time: '13:00:00' }, qualifying: { date: quali, time: '14:00:00' } },
});
const calendar = [race(1, '2025-03-16', '2025-03-15'), race(2, '2025-03-23', '2025-03-22'), race(3, '2025-04-06', '2025-04-05')];
const options: PlanOptions = {
  policy: { kind: 'post_qualifying' },
  functionsBaseUrl: 'https://europe-west1-proj.cloudfunctions.net/',
  serviceAccountEmail: 'pitwall-scheduler@proj.iam.gserviceaccount.com',
  syncAfterHours: 4,
  horizonDays: 30,
};

describe('job planning', () => {
  it('plans a freeze after qualifying and a sync N hours after the race, per coming race', () => {
    const jobs = planJobs(calendar, new Date('2025-03-01T00:00:00Z'), options);
    expect(jobs.map((j) => j.id)).toEqual([
      'pitwall-race-2025-r01-freeze', 'pitwall-race-2025-r01-sync', 'pitwall-race-2025-r02-freeze', 'pitwall-race-2025-r02-sync',
    ]);
    expect(jobs[0]).toMatchObject({ schedule: '30 15 15 3 *', uri: 'https://europe-west1-proj.cloudfunctions.net/predict?year=2025&race=1' });
    expect(jobs[1]).toMatchObject({
      schedule: '0 17 16 3 *',
      uri: 'https://europe-west1-proj.cloudfunctions.net/sync-results/2025/1',
      oidc: { audience: 'https://europe-west1-proj.cloudfunctions.net/sync-results' },
    });
    expect(jobs[1]!.retry.retryCount).toBeGreaterThan(0);
  });
  it('t_minus freezes N minutes before the race; a race between freeze and sync keeps only its sync', () => {
    const jobs = planJobs(calendar, new Date('2025-03-16T13:30:00Z'), { ...options, policy: { kind: 't_minus', minutes: 30 } });
    expect(jobs[0]!.id).toBe('pitwall-race-2025-r01-sync');
    expect(jobs.find((j) => j.id === 'pitwall-race-2025-r02-freeze')!.schedule).toBe(cronAt(new Date('2025-03-23T12:30:00Z')));
  });
});

/** The same behaviour over both implementations of the port. */
function reconcileContract(name: string, make: () => Promise<{ scheduler: Scheduler; stored: () => number; teardown?: () => Promise<void> }>) {
  describe(`reconciling jobs with ${name}`, () => {
    let env: Awaited<ReturnType<typeof make>>;
    beforeAll(async () => {
      env = await make();
    });
    afterAll(async () => env?.teardown?.());

    it('creates, is idempotent on re-run, updates changes and deletes the jobs of past races', async () => {
      const first = await reconcileJobs(env.scheduler, planJobs(calendar, new Date('2025-03-01T00:00:00Z'), options));
      expect(first.created).toHaveLength(4);
      expect(env.stored()).toBe(4);
      const again = await reconcileJobs(env.scheduler, planJobs(calendar, new Date('2025-03-01T00:00:00Z'), options));
      expect(again).toEqual({ created: [], updated: [], unchanged: first.created, deleted: [] });
      expect(env.stored()).toBe(4);

      const listed = await env.scheduler.list('pitwall-race-');
      expect(listed.find((j) => j.id === 'pitwall-race-2025-r01-sync')).toEqual(planJobs(calendar, new Date('2025-03-01T00:00:00Z'), options)[1]);

      const moved = [race(1, '2025-03-16', '2025-03-15'), { ...race(2, '2025-03-23', '2025-03-22'), sessions: { race: { date: '2025-03-23', time: '15:00:00' }, qualifying: { date: '2025-03-22', time: '14:00:00' } } }, calendar[2]!];
      const later = await reconcileJobs(env.scheduler, planJobs(moved, new Date('2025-03-17T00:00:00Z'), options));
      expect(later.deleted.sort()).toEqual(['pitwall-race-2025-r01-freeze', 'pitwall-race-2025-r01-sync']);
      expect(later.updated).toEqual(['pitwall-race-2025-r02-sync']);
      expect(later.created.sort()).toEqual(['pitwall-race-2025-r03-freeze', 'pitwall-race-2025-r03-sync']);
      expect(env.stored()).toBe(4);
    });
  });
}

reconcileContract('the in-memory scheduler', async () => {
  const s = new InMemoryScheduler();
  return { scheduler: s, stored: () => s.jobs.size };
});

let fake: FakeScheduler;
reconcileContract('the @google-cloud/scheduler client against the fake REST API', async () => {
  fake = await startFakeScheduler();
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
    stored: () => fake.jobs.size,
    teardown: async () => {
      await client.close();
      await fake.close();
    },
  };
});

describe('the client speaks the Scheduler REST surface', () => {
  it('used v1 paths under projects/proj/locations/europe-west1', () => {
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const r of fake.requests) expect(r.path).toMatch(/^\/v1\/projects\/proj\/locations\/europe-west1\/jobs/);
    expect(new Set(fake.requests.map((r) => r.method))).toEqual(new Set(['GET', 'POST', 'PATCH', 'DELETE']));
  });
});
