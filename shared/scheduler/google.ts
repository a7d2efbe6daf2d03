import type { CloudSchedulerClient } from '@google-cloud/scheduler';
import type { JobRunState, JobSpec, JobStateName, Scheduler } from './port.js';

type Job = NonNullable<Parameters<CloudSchedulerClient['createJob']>[0]['job']>;

const seconds = (d: { seconds?: unknown; nanos?: unknown } | null | undefined) => Number(d?.seconds ?? 0);
/** A protobuf Timestamp (seconds may come as a string or a Long) as a Date; null when unset. */
const instant = (t: { seconds?: unknown; nanos?: unknown } | null | undefined) =>
  t && (t.seconds !== undefined || t.nanos !== undefined) ? new Date(Number(t.seconds ?? 0) * 1000 + Math.round(Number(t.nanos ?? 0) / 1e6)) : null;
/** Job.State arrives as its name or its number, by transport. */
const STATES: JobStateName[] = ['STATE_UNSPECIFIED', 'ENABLED', 'PAUSED', 'DISABLED', 'UPDATE_FAILED'];
const stateOf = (s: unknown): JobStateName => (typeof s === 'number' ? STATES[s] : STATES.find((x) => x === s)) ?? 'STATE_UNSPECIFIED';

/** An HTTP target's body: bytes, or base64 text when a transport hands them back as JSON. */
const decodeBody = (body: Uint8Array | string): object =>
  JSON.parse((typeof body === 'string' ? Buffer.from(body, 'base64') : Buffer.from(body)).toString('utf8')) as object;

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
        ...(spec.body ? { body: Buffer.from(JSON.stringify(spec.body)), headers: { 'Content-Type': 'application/json' } } : {}),
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
      ...(job.httpTarget?.body?.length ? { body: decodeBody(job.httpTarget.body) } : {}),
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
  async states(prefix: string): Promise<JobRunState[]> {
    const [jobs] = await this.client.listJobs({ parent: this.parent });
    return (jobs as Job[])
      .map((job): JobRunState => {
        const spec = this.fromJob(job);
        const lastAttemptAt = instant(job.lastAttemptTime);
        // Job.status holds the last attempt's outcome; a success is an empty status (code 0).
        const lastStatus = lastAttemptAt ? { code: Number(job.status?.code ?? 0), message: job.status?.message ?? '' } : null;
        return { id: spec.id, description: spec.description, schedule: spec.schedule, timeZone: spec.timeZone, uri: spec.uri, state: stateOf(job.state), lastAttemptAt, lastStatus, nextRunAt: instant(job.scheduleTime) };
      })
      .filter((j) => j.id.startsWith(prefix));
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
