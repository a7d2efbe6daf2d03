import { CloudSchedulerClient } from '@google-cloud/scheduler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GoogleCloudScheduler } from '../../shared/scheduler/google.js';
import { InMemoryScheduler } from '../../shared/scheduler/memory.js';
import { planJobs, reconcileJobs } from '../../shared/scheduler/plan.js';
import type { Scheduler } from '../../shared/scheduler/port.js';
import { startFakeScheduler } from '../helpers/fake-scheduler.js';
import { calendar, options, race } from './calendar.js';


interface SchedulerUnderTest {
  scheduler: Scheduler;
  stored: () => number;
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
      env.afterwards?.();
    });
  });
}

reconcileContract('the in-memory scheduler', async () => {
  const s = new InMemoryScheduler();
  return { scheduler: s, stored: () => s.jobs.size };
});

reconcileContract('the @google-cloud/scheduler client against the fake REST API', async () => {
  const fake = await startFakeScheduler();
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
