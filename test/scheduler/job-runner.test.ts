import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../shared/clock.js';
import { backoffSeconds, mayRetry, runJobsUntil, type JobAnswer } from '../../shared/scheduler/job-runner.js';
import { InMemoryScheduler } from '../../shared/scheduler/memory.js';
import type { JobSpec, RetryPolicy } from '../../shared/scheduler/port.js';

const retry: RetryPolicy = { retryCount: 2, minBackoffSeconds: 60, maxBackoffSeconds: 300, maxDoublings: 3, maxRetryDurationSeconds: 0 };
const job = (id: string, schedule: string, over: Partial<JobSpec> = {}): JobSpec => ({
  id, description: id, schedule, timeZone: 'Etc/UTC', uri: `https://f.invalid/${id}`, httpMethod: 'POST', retry, attemptDeadlineSeconds: 60, ...over,
});

/** A scheduler and clock, and a target that answers each job from a script (then 200), logging every call's time. */
function setup(start: string, script: Record<string, number[]> = {}) {
  const clock = new SimulatedClock(new Date(start));
  const scheduler = new InMemoryScheduler(clock);
  const calls: string[] = [];
  const invoke = async (j: JobSpec): Promise<JobAnswer> => {
    calls.push(`${j.id}@${clock.now().toISOString().slice(5, 16)}`);
    const status = script[j.id]?.shift() ?? 200;
    return { status, message: status === 200 ? '' : `refused ${status}` };
  };
  return { clock, scheduler, calls, invoke };
}

describe("Cloud Scheduler's retry rules", () => {
  it('backs off from the minimum, doubling at most maxDoublings times, capped at the maximum', () => {
    expect([1, 2, 3, 4, 5].map((a) => backoffSeconds(retry, a))).toEqual([60, 120, 240, 300, 300]);
    expect([1, 2, 3].map((a) => backoffSeconds({ ...retry, maxDoublings: 1 }, a))).toEqual([60, 120, 120]);
  });
  it('retries while either the count or the duration is left, never with retryCount 0', () => {
    expect(mayRetry(retry, 2, 10_000_000)).toBe(true);
    expect(mayRetry(retry, 3, 0)).toBe(false);
    const both = { ...retry, maxRetryDurationSeconds: 3600 };
    expect(mayRetry(both, 9, 3_599_000)).toBe(true);
    expect(mayRetry(both, 9, 3_601_000)).toBe(false);
    expect(mayRetry({ ...both, retryCount: 0 }, 1, 0)).toBe(false);
  });
});

describe('running the jobs on a simulated clock', () => {
  it('fires each job at its cron instants, in time order, and reports each attempt to the scheduler', async () => {
    const { clock, scheduler, calls, invoke } = setup('2025-03-15T00:00:00Z');
    await scheduler.create(job('pitwall-b', '30 16 15 3 *'));
    await scheduler.create(job('pitwall-a', '0 16 15 3 *'));
    await scheduler.create(job('other-c', '0 1 15 3 *'));
    const stats = await runJobsUntil({ scheduler, clock, invoke, prefix: 'pitwall-' }, new Date('2025-03-16T00:00:00Z'));
    expect(calls).toEqual(['pitwall-a@03-15T16:00', 'pitwall-b@03-15T16:30']);
    expect(stats).toMatchObject({ attempts: 2, retries: 0, succeeded: 2, gaveUp: [] });
    const [state] = await scheduler.states('pitwall-a');
    expect(state).toMatchObject({ lastAttemptAt: new Date('2025-03-15T16:00:00Z'), lastStatus: { code: 0 } });
  });

  it('retries a failed call with backoff and gives up when the limits are used up, saying why', async () => {
    const { clock, scheduler, calls, invoke } = setup('2025-03-15T00:00:00Z', { 'pitwall-a': [503, 503, 409] });
    await scheduler.create(job('pitwall-a', '0 16 15 3 *'));
    const stats = await runJobsUntil({ scheduler, clock, invoke, prefix: 'pitwall-' }, new Date('2025-03-16T00:00:00Z'));
    expect(calls).toEqual(['pitwall-a@03-15T16:00', 'pitwall-a@03-15T16:01', 'pitwall-a@03-15T16:03']);
    expect(stats).toMatchObject({ attempts: 3, retries: 2, succeeded: 0, byKind: { a: { attempts: 3, failed: 3 } }, byStatus: { 503: 2, 409: 1 } });
    expect(stats.gaveUp).toEqual(['pitwall-a (409: refused 409)']);
    const [state] = await scheduler.states('pitwall-a');
    expect(state!.lastStatus).toMatchObject({ message: 'refused 409' });
  });

  it('keeps retrying until the duration is used up too, and succeeds when the target does', async () => {
    const { clock, scheduler, calls, invoke } = setup('2025-03-15T00:00:00Z', { 'pitwall-f': [409, 409, 409, 409] });
    await scheduler.create(job('pitwall-f', '0 16 15 3 *', { retry: { ...retry, retryCount: 1, maxRetryDurationSeconds: 3600 } }));
    const stats = await runJobsUntil({ scheduler, clock, invoke, prefix: 'pitwall-' }, new Date('2025-03-16T00:00:00Z'));
    // Backoffs 60, 120, 240, 300 s: past retryCount, within the hour.
    expect(calls).toEqual(['pitwall-f@03-15T16:00', 'pitwall-f@03-15T16:01', 'pitwall-f@03-15T16:03', 'pitwall-f@03-15T16:07', 'pitwall-f@03-15T16:12']);
    expect(stats).toMatchObject({ succeeded: 1, gaveUp: [] });
  });

  it('a recurring job fires daily; its next run replaces a retry still pending', async () => {
    const { clock, scheduler, calls, invoke } = setup('2025-03-15T00:00:00Z', { 'pitwall-daily': [500] });
    await scheduler.create(job('pitwall-daily', '0 6 * * *', { retry: { ...retry, minBackoffSeconds: 86_400, maxBackoffSeconds: 86_400 } }));
    await runJobsUntil({ scheduler, clock, invoke, prefix: 'pitwall-' }, new Date('2025-03-17T12:00:00Z'));
    expect(calls).toEqual(['pitwall-daily@03-15T06:00', 'pitwall-daily@03-16T06:00', 'pitwall-daily@03-17T06:00']);
  });

  it('runs the jobs a call creates (as the schedule function does), and not the ones it deletes', async () => {
    const { clock, scheduler, calls } = setup('2025-03-15T00:00:00Z');
    await scheduler.create(job('pitwall-plan', '0 5 15 3 *'));
    await scheduler.create(job('pitwall-stale', '0 9 15 3 *'));
    const invoke = async (j: JobSpec): Promise<JobAnswer> => {
      calls.push(`${j.id}@${clock.now().toISOString().slice(11, 16)}`);
      if (j.id === 'pitwall-plan') {
        await scheduler.create(job('pitwall-new', '0 8 15 3 *'));
        await scheduler.delete('pitwall-stale');
      }
      return { status: 200 };
    };
    await runJobsUntil({ scheduler, clock, invoke, prefix: 'pitwall-' }, new Date('2025-03-16T00:00:00Z'));
    expect(calls).toEqual(['pitwall-plan@05:00', 'pitwall-new@08:00']);
  });

  it('a call that moves the clock on (pacing) makes the next job fire late, not never', async () => {
    const { clock, scheduler, calls } = setup('2025-03-15T00:00:00Z');
    await scheduler.create(job('pitwall-slow', '0 16 15 3 *'));
    await scheduler.create(job('pitwall-next', '1 16 15 3 *'));
    const invoke = async (j: JobSpec): Promise<JobAnswer> => {
      calls.push(`${j.id}@${clock.now().toISOString().slice(11, 16)}`);
      if (j.id === 'pitwall-slow') await clock.sleep(10 * 60_000);
      return { status: 200 };
    };
    await runJobsUntil({ scheduler, clock, invoke, prefix: 'pitwall-' }, new Date('2025-03-16T00:00:00Z'));
    expect(calls).toEqual(['pitwall-slow@16:00', 'pitwall-next@16:10']);
  });
});
