import { RACE_FINISHED_AFTER_HOURS, RESULT_RECHECK_DAYS } from '../domain/result-sync.js';
import { sessionStartsAt, type Race } from '../domain/reference.js';
import { NotFoundError, NotReadyError, PitwallError, UpstreamError, UpstreamIncompleteError } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Repository } from '../repository/index.js';
import { syncResults, type SyncDeps, type SyncOutcome } from './sync-results.js';

/** One race of the daily re-check: what its sync found (JSON as it is: it is also an error's details). */
export interface RecheckedRace {
  raceId: number;
  season: number;
  round: number;
  name: string;
  outcome: 'stored' | 'unchanged' | 'corrected' | 'not_published' | 'refused';
  /** The current classification version after the sync; null when it was not published or refused. */
  resultVersion: number | null;
  /** What changed ("no change", "first classification", "SAI: P3 → P4, ..."), or why there was no sync. */
  detail: string;
}

export interface RecheckReport {
  /** The sync of the latest finished race (the one the daily safety net is for). */
  latest: SyncOutcome;
  /** Every race re-checked, in calendar order; the latest finished race is the last. */
  races: RecheckedRace[];
}

/**
 * The finished races whose classification may still change: every race that started within
 * RESULT_RECHECK_DAYS and is finished (RACE_FINISHED_AFTER_HOURS after its start), plus the
 * latest finished one however long ago, in calendar order.
 */
export async function racesToRecheck(repo: Repository, now: Date): Promise<Race[]> {
  const finishedBy = now.getTime() - RACE_FINISHED_AFTER_HOURS * 3600_000;
  const since = now.getTime() - RESULT_RECHECK_DAYS * 24 * 3600_000;
  const from = now.getUTCFullYear() - 1;
  const finished = (await repo.races.list({ fromSeason: from })).filter((r) => sessionStartsAt(r.sessions.race).getTime() <= finishedBy);
  const latest = finished.at(-1);
  if (!latest) {
    throw new NotFoundError(
      'finished race', 'latest',
      `no race of ${from} or later started before ${new Date(finishedBy).toISOString()} (two hours ago) in the stored calendar; sync a past race by name: POST /results/sync/{year}/{race}`,
    );
  }
  return finished.filter((r) => r === latest || sessionStartsAt(r.sessions.race).getTime() >= since);
}

/**
 * The daily re-check: each race of racesToRecheck through the same sync (its own transaction
 * and ingestion run), so a correction published days after the race becomes a new result
 * version and a new score. One race's refusal or delay does not stop the others. Answers with
 * the report, or, when the latest finished race itself is not published (503, Retry-After)
 * or refused (502), with that error carrying the report in details.races, so the scheduler
 * retries as it did when this route synced the latest race alone. Other failures (the
 * database) are thrown as they are.
 */
export async function recheckRecentResults(deps: SyncDeps & { clock: Clock }): Promise<RecheckReport> {
  const races: RecheckedRace[] = [];
  let latest: SyncOutcome | PitwallError | undefined;
  for (const race of await racesToRecheck(deps.repo, deps.clock.now())) {
    const who = { raceId: race.id, season: race.season, round: race.round, name: race.name };
    try {
      latest = await syncResults(deps, { year: race.season, race: String(race.round) });
      races.push({ ...who, outcome: latest.result.outcome, resultVersion: latest.result.version, detail: latest.result.summary });
    } catch (err) {
      if (err instanceof NotReadyError) races.push({ ...who, outcome: 'not_published', resultVersion: null, detail: err.message });
      else if (err instanceof UpstreamError) races.push({ ...who, outcome: 'refused', resultVersion: null, detail: err.message });
      else throw err;
      latest = err;
    }
  }
  // The last race checked is the latest finished one (racesToRecheck's order).
  if (latest instanceof NotReadyError) throw new NotReadyError(latest.message, latest.retryAfterSeconds, { ...latest.details, races });
  if (latest instanceof UpstreamIncompleteError) throw new UpstreamIncompleteError(latest.message, [], { ...latest.details, races });
  if (latest instanceof UpstreamError) throw new UpstreamError(latest.message, latest.status, { ...latest.details, races });
  return { latest: latest as SyncOutcome, races };
}
