/**
 * The Scheduler port: what pitwall needs from Cloud Scheduler. Two implementations: the
 * @google-cloud/scheduler client (google.ts) and an in-memory one for local dev (memory.ts).
 */
export interface RetryPolicy {
  retryCount: number;
  minBackoffSeconds: number;
  maxBackoffSeconds: number;
  maxDoublings: number;
  /** 0 = no limit other than retryCount. */
  maxRetryDurationSeconds: number;
}

export interface JobSpec {
  /** Short, deterministic id ('pitwall-2025-r08-freeze'); the port qualifies it. */
  id: string;
  description: string;
  /** Unix cron in `timeZone`. */
  schedule: string;
  timeZone: string;
  uri: string;
  httpMethod: 'POST';
  /** A JSON body, sent with Content-Type: application/json (an ingest job's request). */
  body?: object;
  /** OIDC identity token for the call (Cloud Functions IAM invoker). */
  oidc?: { serviceAccountEmail: string; audience: string };
  retry: RetryPolicy;
  attemptDeadlineSeconds: number;
}

/** Cloud Scheduler's Job.state. */
export type JobStateName = 'ENABLED' | 'PAUSED' | 'DISABLED' | 'UPDATE_FAILED' | 'STATE_UNSPECIFIED';

/**
 * What Cloud Scheduler reports of a job's runs, beside its spec (kept out of JobSpec, which
 * reconcileJobs compares whole): Job.state, lastAttemptTime, status and scheduleTime.
 */
export interface JobRunState {
  id: string;
  description: string;
  schedule: string;
  timeZone: string;
  uri: string;
  state: JobStateName;
  /** When the last attempt started (Job.lastAttemptTime); null before the first. */
  lastAttemptAt: Date | null;
  /** Its outcome (Job.status, a google.rpc.Status: code 0 is OK); null before the first attempt. */
  lastStatus: { code: number; message: string } | null;
  /** When it runs next (Job.scheduleTime); null when it will not (paused, or unknown). */
  nextRunAt: Date | null;
}

/**
 * The google.rpc.Code Cloud Scheduler records for an HTTP target's answer (the HTTP mapping of
 * google/rpc/code.proto), so the in-memory scheduler and the fake report attempts as it does.
 */
export function rpcCodeOfHttp(status: number): number {
  if (status >= 200 && status < 300) return 0;
  const codes: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 429: 8, 499: 1, 501: 12, 503: 14, 504: 4 };
  return codes[status] ?? (status >= 500 ? 13 : 2);
}

export interface Scheduler {
  /** Jobs whose id starts with `prefix`. */
  list(prefix: string): Promise<JobSpec[]>;
  /** The run state of the jobs whose id starts with `prefix`. */
  states(prefix: string): Promise<JobRunState[]>;
  create(job: JobSpec): Promise<void>;
  update(job: JobSpec): Promise<void>;
  delete(id: string): Promise<void>;
}
