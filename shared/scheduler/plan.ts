import { isDeepStrictEqual } from 'node:util';
import { functionSpec } from '../app/manifest.js';
import { freezeWindow, type FreezePolicy } from '../domain/freeze-policy.js';
import { liveWindowFrom } from '../domain/live-window.js';
import { sessionStartsAt, type Race, type SessionTime } from '../domain/reference.js';
import type { JobSpec, RetryPolicy, Scheduler } from './port.js';

export const JOB_PREFIX = 'pitwall-race-';

export interface PlanOptions {
  policy: FreezePolicy;
  /** FUNCTIONS_BASE_URL: every function is at <base>/<function>. */
  functionsBaseUrl: string;
  serviceAccountEmail?: string;
  /** Result sync this many hours after the race start. */
  syncAfterHours: number;
  /** Only races starting within this many days are scheduled. */
  horizonDays: number;
  /** Ids of the jobs the scheduler holds: a job whose time is past is kept (its retries may run), never created. */
  existing?: ReadonlySet<string>;
  /** Poll live timing during each race (OpenF1 serves a live session only with a token: set when one is configured). */
  live?: boolean;
  /** Freeze each race's pre-weekend forecast too, under this policy. */
  preWeekend?: FreezePolicy;
}

/**
 * When each session's data is asked for, after the session starts: its usual length plus the
 * delay the upstreams usually take to publish it (Jolpica mirrors the official classification
 * within the hour; laps and standings lag the results). A job that comes too early gets 503
 * (not published yet) and Cloud Scheduler retries it with backoff.
 */
const AFTER_START_MINUTES = { qualifying: 90 + 30, sprint: 60 + 30, postRace: 120 + 270, openf1: 120 + 120 } as const;
/** Open-Meteo forecasts about 16 days ahead: the race-day forecast is refreshed every 6 hours from then until the freeze. */
export const WEATHER_LEAD_DAYS = 16;
const WEATHER_CRON = '17 */6 * * *';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;


/**
 * Every minute through the race window, one cron line: Cloud Scheduler's finest interval is
 * a minute, so each call polls for about a minute itself. A window across midnight UTC fires
 * its hours on both days (a call outside the window answers at once, polling nothing); across
 * a month's end it stops at midnight, which cron cannot span.
 */
export function liveCron(start: Date): string {
  const window = liveWindowFrom(start);
  const from = window.from;
  let to = window.to;
  if (to.getUTCMonth() !== from.getUTCMonth()) to = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1) - 1);
  const month = from.getUTCMonth() + 1;
  if (to.getUTCDate() === from.getUTCDate()) return `* ${from.getUTCHours()}-${to.getUTCHours()} ${from.getUTCDate()} ${month} *`;
  return `* ${from.getUTCHours()}-23,0-${to.getUTCHours()} ${from.getUTCDate()},${to.getUTCDate()} ${month} *`;
}

/** Retries every ≤ 30 min from the freeze instant until the race start, then the freeze is missed (and says why). */
const retryUntil = (from: Date, until: Date, minBackoffSeconds: number, maxBackoffSeconds: number): RetryPolicy => ({
  // One retry at least; the duration sets how long (Scheduler stops once both are used up).
  retryCount: 1,
  minBackoffSeconds,
  maxBackoffSeconds,
  maxDoublings: 3,
  // Cloud Scheduler keeps retrying until both retryCount and this duration are used up.
  maxRetryDurationSeconds: Math.max(60, Math.floor((until.getTime() - from.getTime()) / 1000)),
});
/** Results can take hours to be published: Scheduler retries on the 503 for up to a day. */
const syncRetry: RetryPolicy = { retryCount: 5, minBackoffSeconds: 900, maxBackoffSeconds: 7200, maxDoublings: 3, maxRetryDurationSeconds: 86_400 };
/** Post-race data (laps, standings) is retried for two days; the calendar and weather only briefly (they run again). */
const dataRetry: RetryPolicy = { retryCount: 5, minBackoffSeconds: 600, maxBackoffSeconds: 3600, maxDoublings: 3, maxRetryDurationSeconds: 2 * 86_400 };
const noRetry: RetryPolicy = { retryCount: 0, minBackoffSeconds: 5, maxBackoffSeconds: 5, maxDoublings: 0, maxRetryDurationSeconds: 0 };
const weatherRetry: RetryPolicy = { retryCount: 2, minBackoffSeconds: 300, maxBackoffSeconds: 900, maxDoublings: 1, maxRetryDurationSeconds: 3600 };

/** How long Cloud Scheduler may keep retrying a failed run: until both limits are used up. */
export const retryWindowSeconds = (r: RetryPolicy): number => Math.max(r.maxRetryDurationSeconds, r.retryCount * r.maxBackoffSeconds);

/** A one-shot instant as a cron line (minute hour day month *); the job is deleted once its race is past. */
export function cronAt(at: Date): string {
  return `${at.getUTCMinutes()} ${at.getUTCHours()} ${at.getUTCDate()} ${at.getUTCMonth() + 1} *`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The functions the per-race jobs call (their scheduledBy in shared/app/function-manifest.json names per-race:<kind>). */
const FREEZE_FUNCTION = functionSpec('predict').name;
const SYNC_FUNCTION = functionSpec('syncResults').name;
const INGEST_FUNCTION = functionSpec('ingest').name;

/**
 * The jobs the coming race weekends need, each after the session whose data it wants: the
 * qualifying (with the entry list) and sprint classifications, the freeze, the result sync,
 * the post-race pit stops, laps and standings from Jolpica, OpenF1's laps, stints and pit
 * data, and the race-day weather forecast every 6 hours until the freeze. Every ingest goes
 * through the ingest function (the one loader: a run, quarantine, counts); `require` makes a
 * part that is not published yet answer 503, so Cloud Scheduler retries it.
 */
export function planJobs(races: readonly Race[], now: Date, o: PlanOptions): JobSpec[] {
  const base = o.functionsBaseUrl.replace(/\/+$/, '');
  const horizon = now.getTime() + o.horizonDays * 86_400_000;
  const jobs: JobSpec[] = [];
  for (const race of races) {
    const start = sessionStartsAt(race.sessions.race);
    if (start.getTime() > horizon) continue;
    const syncAt = new Date(start.getTime() + o.syncAfterHours * HOUR);
    const openf1At = new Date(start.getTime() + AFTER_START_MINUTES.openf1 * MINUTE);
    const postRace = new Date(start.getTime() + AFTER_START_MINUTES.postRace * MINUTE);
    const id = `${JOB_PREFIX}${race.season}-r${pad(race.round)}`;
    /**
     * A one-shot job, planned until its time and its retries are past: deleting it sooner would
     * cancel them. Past its time it is only kept, never created (it would not fire until next year).
     */
    const once = (kind: string, fn: string, path: string, at: Date | undefined, retry: RetryPolicy, deadline: number, body?: object) => {
      if (!at || at.getTime() + retryWindowSeconds(retry) * 1000 <= now.getTime()) return;
      if (at <= now && !o.existing?.has(`${id}-${kind}`)) return;
      jobs.push(call(kind, fn, path, cronAt(at), retry, deadline, body));
    };
    const call = (kind: string, fn: string, path: string, schedule: string, retry: RetryPolicy, deadline: number, body?: object): JobSpec => ({
      id: `${id}-${kind}`,
      description: `${describe[kind]} of the ${race.season} ${race.name}`,
      schedule,
      timeZone: 'Etc/UTC',
      uri: `${base}/${fn}${path}`,
      httpMethod: 'POST',
      ...(body ? { body } : {}),
      ...(o.serviceAccountEmail ? { oidc: { serviceAccountEmail: o.serviceAccountEmail, audience: `${base}/${fn}` } } : {}),
      retry,
      attemptDeadlineSeconds: deadline,
    });
    const after = (session: SessionTime | undefined, minutes: number) => (session ? new Date(sessionStartsAt(session).getTime() + minutes * MINUTE) : undefined);
    const jolpica = (parts: string[]) => ({ jolpica: { season: race.season, round: race.round, parts, require: true } });
    const freezeAt = freezeWindow(race, o.policy).allowedAt;
    const quali = after(race.sessions.qualifying, AFTER_START_MINUTES.qualifying);
    if (quali && quali < start) once('qualifying', INGEST_FUNCTION, '', quali, retryUntil(quali, start, 300, 1800), 300, jolpica(['drivers', 'qualifying']));
    once('sprint', INGEST_FUNCTION, '', after(race.sessions.sprint, AFTER_START_MINUTES.sprint), dataRetry, 300, jolpica(['sprint']));
    // Called once the entry list should be in (the snapshot is as of freezeAt however late it is frozen).
    const callAt = quali ? new Date(Math.min(Math.max(freezeAt.getTime(), quali.getTime() + 15 * MINUTE), start.getTime() - 5 * MINUTE)) : freezeAt;
    once('freeze', FREEZE_FUNCTION, `?year=${race.season}&race=${race.round}`, callAt, retryUntil(callAt, start, 300, 1800), 120);
    if (o.preWeekend) {
      // At its instant (nothing of the weekend to wait for), retried until the race start as the other freeze.
      const early = freezeWindow(race, o.preWeekend).allowedAt;
      once('prefreeze', FREEZE_FUNCTION, `?year=${race.season}&race=${race.round}&policy=pre_weekend`, early, retryUntil(early, start, 300, 1800), 300);
    }
    if (callAt > now && freezeAt.getTime() - now.getTime() <= WEATHER_LEAD_DAYS * 86_400_000) {
      jobs.push(call('weather', INGEST_FUNCTION, '', WEATHER_CRON, weatherRetry, 60, { weather: { season: race.season, round: race.round } }));
    }
    once('sync', SYNC_FUNCTION, `/${race.season}/${race.round}`, syncAt, syncRetry, 300);
    once('postrace', INGEST_FUNCTION, '', postRace, dataRetry, 540, jolpica(['pitstops', 'laps', 'standings']));
    if (race.season >= 2023) once('openf1', INGEST_FUNCTION, '', openf1At, dataRetry, 540, { openf1: { year: race.season, round: race.round } });
    // No retries: the next minute's call polls again. Gone from the plan once the window is past.
    if (o.live && liveWindowFrom(start).to > now) {
      jobs.push(call('live', INGEST_FUNCTION, '/live', liveCron(start), noRetry, 90, { season: race.season, round: race.round }));
    }
  }
  return jobs;
}

const describe: Record<string, string> = {
  qualifying: 'Ingest the qualifying classification (the entry list)',
  sprint: 'Ingest the sprint classification',
  freeze: 'Freeze the forecast',
  prefreeze: 'Freeze the pre-weekend forecast',
  weather: 'Refresh the race-day weather forecast',
  sync: 'Sync and evaluate the result',
  postrace: 'Ingest the pit stops, laps and standings',
  openf1: "Ingest OpenF1's laps, stints and pit data",
  live: 'Poll live timing and forecast the race as it runs',
};

export interface ReconcileSummary {
  created: string[];
  updated: string[];
  unchanged: string[];
  deleted: string[];
}

/**
 * Makes the scheduler hold exactly `desired` among pitwall's per-race jobs: creates the
 * missing, updates the changed, deletes the rest (races now past). Deterministic ids make
 * re-runs idempotent.
 */
export async function reconcileJobs(scheduler: Scheduler, desired: readonly JobSpec[]): Promise<ReconcileSummary> {
  const existing = new Map((await scheduler.list(JOB_PREFIX)).map((j) => [j.id, j]));
  const summary: ReconcileSummary = { created: [], updated: [], unchanged: [], deleted: [] };
  for (const job of desired) {
    const current = existing.get(job.id);
    existing.delete(job.id);
    if (!current) {
      await scheduler.create(job);
      summary.created.push(job.id);
    } else if (!isDeepStrictEqual(current, job)) {
      await scheduler.update(job);
      summary.updated.push(job.id);
    } else {
      summary.unchanged.push(job.id);
    }
  }
  for (const id of existing.keys()) {
    await scheduler.delete(id);
    summary.deleted.push(id);
  }
  return summary;
}
