import { ConflictError, NotFoundError } from '../errors.js';
import { systemClock, type Clock } from '../clock.js';
import { nextCronRun } from './cron.js';
import { rpcCodeOfHttp, type JobRunState, type JobSpec, type Scheduler } from './port.js';

interface Attempt {
  at: Date;
  code: number;
  message: string;
}

/**
 * Local dev and tests: jobs kept in a Map (the replay drives the clock instead). Nothing runs
 * them here: whoever does (the replay driver) reports each attempt with recordAttempt, and the
 * next run is computed from the schedule on `clock`, as Cloud Scheduler reports both.
 */
export class InMemoryScheduler implements Scheduler {
  readonly jobs = new Map<string, JobSpec>();
  private readonly attempts = new Map<string, Attempt>();

  constructor(private readonly clock: Pick<Clock, 'now'> = systemClock) {}

  async list(prefix: string) {
    return [...this.jobs.values()].filter((j) => j.id.startsWith(prefix)).map((j) => structuredClone(j));
  }
  async states(prefix: string): Promise<JobRunState[]> {
    const now = this.clock.now();
    return (await this.list(prefix)).map((j) => {
      const last = this.attempts.get(j.id);
      return {
        id: j.id, description: j.description, schedule: j.schedule, timeZone: j.timeZone, uri: j.uri, state: 'ENABLED',
        lastAttemptAt: last ? new Date(last.at) : null,
        lastStatus: last ? { code: last.code, message: last.message } : null,
        nextRunAt: nextCronRun(j.schedule, now, j.timeZone),
      };
    });
  }
  /** A run of job `id` started at `at` and its target answered `httpStatus` (what Cloud Scheduler records itself). */
  recordAttempt(id: string, at: Date, httpStatus: number, message = ''): void {
    if (!this.jobs.has(id)) throw new NotFoundError('job', id);
    this.attempts.set(id, { at: new Date(at), code: rpcCodeOfHttp(httpStatus), message: message || (httpStatus >= 200 && httpStatus < 300 ? '' : `HTTP ${httpStatus}`) });
  }
  async create(job: JobSpec) {
    if (this.jobs.has(job.id)) throw new ConflictError(`job ${job.id} exists`);
    this.jobs.set(job.id, structuredClone(job));
  }
  async update(job: JobSpec) {
    if (!this.jobs.has(job.id)) throw new NotFoundError('job', job.id);
    this.jobs.set(job.id, structuredClone(job));
  }
  async delete(id: string) {
    if (!this.jobs.delete(id)) throw new NotFoundError('job', id);
    this.attempts.delete(id);
  }
}
