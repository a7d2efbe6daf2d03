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
  /** OIDC identity token for the call (Cloud Functions IAM invoker). */
  oidc?: { serviceAccountEmail: string; audience: string };
  retry: RetryPolicy;
  attemptDeadlineSeconds: number;
}

export interface Scheduler {
  /** Jobs whose id starts with `prefix`. */
  list(prefix: string): Promise<JobSpec[]>;
  create(job: JobSpec): Promise<void>;
  update(job: JobSpec): Promise<void>;
  delete(id: string): Promise<void>;
}
