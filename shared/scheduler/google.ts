import type { CloudSchedulerClient } from '@google-cloud/scheduler';
import type { JobSpec, Scheduler } from './port.js';

type Job = NonNullable<Parameters<CloudSchedulerClient['createJob']>[0]['job']>;

const seconds = (d: { seconds?: unknown; nanos?: unknown } | null | undefined) => Number(d?.seconds ?? 0);

/**
 * Cloud Scheduler through @google-cloud/scheduler. Jobs live under
 * projects/{project}/locations/{region}; the port speaks in short ids.
 */
export class GoogleCloudScheduler implements Scheduler {
  private readonly parent: string;

  constructor(
    private readonly client: CloudSchedulerClient,
    location: { project: string; region: string },
  ) {
    this.parent = client.locationPath(location.project, location.region);
  }

  private name(id: string) {
    return `${this.parent}/jobs/${id}`;
  }

  private toJob(spec: JobSpec): Job {
    return {
      name: this.name(spec.id),
      description: spec.description,
      schedule: spec.schedule,
      timeZone: spec.timeZone,
      attemptDeadline: { seconds: spec.attemptDeadlineSeconds },
      retryConfig: {
        retryCount: spec.retry.retryCount,
        maxRetryDuration: { seconds: spec.retry.maxRetryDurationSeconds },
        minBackoffDuration: { seconds: spec.retry.minBackoffSeconds },
        maxBackoffDuration: { seconds: spec.retry.maxBackoffSeconds },
        maxDoublings: spec.retry.maxDoublings,
      },
      httpTarget: {
        uri: spec.uri,
        httpMethod: 'POST',
        ...(spec.oidc ? { oidcToken: { serviceAccountEmail: spec.oidc.serviceAccountEmail, audience: spec.oidc.audience } } : {}),
      },
    };
  }

  private fromJob(job: Job): JobSpec {
    const id = String(job.name).split('/').pop()!;
    const oidc = job.httpTarget?.oidcToken;
    return {
      id,
      description: job.description ?? '',
      schedule: job.schedule ?? '',
      timeZone: job.timeZone ?? 'UTC',
      uri: job.httpTarget?.uri ?? '',
      httpMethod: 'POST',
      ...(oidc?.serviceAccountEmail ? { oidc: { serviceAccountEmail: oidc.serviceAccountEmail, audience: oidc.audience ?? '' } } : {}),
      retry: {
        retryCount: Number(job.retryConfig?.retryCount ?? 0),
        minBackoffSeconds: seconds(job.retryConfig?.minBackoffDuration),
        maxBackoffSeconds: seconds(job.retryConfig?.maxBackoffDuration),
        maxDoublings: Number(job.retryConfig?.maxDoublings ?? 0),
        maxRetryDurationSeconds: seconds(job.retryConfig?.maxRetryDuration),
      },
      attemptDeadlineSeconds: seconds(job.attemptDeadline),
    };
  }

  async list(prefix: string) {
    const [jobs] = await this.client.listJobs({ parent: this.parent });
    return jobs.map((j) => this.fromJob(j as Job)).filter((j) => j.id.startsWith(prefix));
  }
  async create(spec: JobSpec) {
    await this.client.createJob({ parent: this.parent, job: this.toJob(spec) });
  }
  async update(spec: JobSpec) {
    await this.client.updateJob({
      job: this.toJob(spec),
      updateMask: { paths: ['description', 'schedule', 'time_zone', 'http_target', 'retry_config', 'attempt_deadline'] },
    });
  }
  async delete(id: string) {
    await this.client.deleteJob({ name: this.name(id) });
  }
}
