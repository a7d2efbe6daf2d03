import { functionSpec } from '../app/manifest.js';
import type { JobSpec } from './port.js';

/**
 * The recurring jobs Terraform provisions (terraform/scheduler.tf, schedules from
 * terraform/variables.tf's defaults), as JobSpecs: the replay runs them beside the per-race
 * jobs the schedule function creates, as Cloud Scheduler would. test/infra checks that
 * they match the Terraform.
 */
export function recurringJobs(functionsBaseUrl: string, serviceAccountEmail?: string): JobSpec[] {
  const base = functionsBaseUrl.replace(/\/+$/, '');
  const call = (id: string, description: string, schedule: string, fn: string, path: string, retry: JobSpec['retry'], attemptDeadlineSeconds: number): JobSpec => ({
    id, description, schedule, timeZone: 'Etc/UTC', uri: `${base}/${fn}${path}`, httpMethod: 'POST',
    ...(serviceAccountEmail ? { oidc: { serviceAccountEmail, audience: `${base}/${fn}` } } : {}),
    retry, attemptDeadlineSeconds,
  });
  return [
    call('pitwall-calendar-refresh', 'Creates the per-race freeze and result-sync jobs of the coming races.', '30 5 * * *', functionSpec('schedule').name, '',
      { retryCount: 3, minBackoffSeconds: 60, maxBackoffSeconds: 600, maxDoublings: 5, maxRetryDurationSeconds: 0 }, 180),
    call('pitwall-daily-result-sync', 'Syncs and evaluates the latest finished race (a safety net for the per-race jobs).', '0 6 * * *', functionSpec('syncResults').name, '/latest',
      { retryCount: 5, minBackoffSeconds: 300, maxBackoffSeconds: 3600, maxDoublings: 3, maxRetryDurationSeconds: 0 }, 600),
  ];
}
