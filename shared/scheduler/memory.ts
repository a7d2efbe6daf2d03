import { ConflictError, NotFoundError } from '../errors.js';
import type { JobSpec, Scheduler } from './port.js';

/** Local dev and tests: jobs kept in a Map (the replay drives the clock instead). */
export class InMemoryScheduler implements Scheduler {
  readonly jobs = new Map<string, JobSpec>();

  async list(prefix: string) {
    return [...this.jobs.values()].filter((j) => j.id.startsWith(prefix)).map((j) => structuredClone(j));
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
  }
}
