import type { Race } from '../domain/reference.js';
import { NotReadyError, UpstreamError, UpstreamIncompleteError, type RefusedRow } from '../errors.js';
import { constructorRecord, driverRecord, resultRecord, type RecordBatch } from '../ingest/records.js';
import type { Repository } from '../repository/index.js';
import type { Evaluation } from '../domain/scoring.js';
import { evaluateRace } from './evaluate.js';
import { findRace, type RaceRef } from './predict.js';
import type { FreezePolicy } from '../domain/freeze-policy.js';

/** Retry-After for a classification that is not out yet: Cloud Scheduler retries anyway. */
export const RESULTS_RETRY_AFTER_SECONDS = 900;

/**
 * Where the official classification comes from. `fetch` resolves to the records to
 * store, to 'stored' when they are already in the database (local replay: the dump was
 * ingested), and throws NotReadyError while they are not published.
 */
export interface ResultsSource {
  readonly name: 'jolpica' | 'dump';
  fetch(race: Race): Promise<Pick<RecordBatch, 'results' | 'drivers' | 'constructors'> | 'stored'>;
}

/** Local replay: the results were ingested with the dump; a race without them is not run yet. */
export function storedResultsSource(repo: Repository): ResultsSource {
  return {
    name: 'dump',
    async fetch(race) {
      if ((await repo.reference.results(race.id)).length > 0) return 'stored';
      throw new NotReadyError(`no results for ${race.name} ${race.season} in the ingested dump`, RESULTS_RETRY_AFTER_SECONDS, { raceId: race.id });
    },
  };
}

/**
 * Production: an upstream API (Jolpica) that throws NotReadyError until the race is
 * classified. A classification with rows the client set aside is refused whole: storing the
 * rest would score a race on part of its field.
 */
export function fetchedResultsSource(fetchRaceResults: (season: number, round: number) => Promise<RecordBatch>): ResultsSource {
  return {
    name: 'jolpica',
    async fetch(race) {
      const batch = await fetchRaceResults(race.season, race.round);
      const rejected = batch.rejected ?? [];
      if (rejected.length) {
        const rows = (batch.results?.length ?? 0) + rejected.length;
        throw new UpstreamIncompleteError(
          `the upstream classification of ${race.name} ${race.season} has ${rejected.length} of ${rows} rows that do not validate (${rejected.slice(0, 3).map((r) => r.reason).join('; ')}); nothing stored, the rows are quarantined: sync again once the upstream is corrected`,
          rejected,
          { raceId: race.id, rows, rejected: rejected.length },
        );
      }
      if (!batch.results?.length) {
        throw new NotReadyError(`results of ${race.name} ${race.season} are not published yet`, RESULTS_RETRY_AFTER_SECONDS, { raceId: race.id });
      }
      return batch;
    },
  };
}

export interface SyncOutcome {
  raceId: number;
  source: ResultsSource['name'];
  classified: number;
  evaluation: Evaluation | null;
  /** The model update after the race (training/update-race-model.ts); null when none is wired. */
  modelUpdate: ModelUpdate | null;
}

/** What the post-race model update did, as the sync reports it. */
export interface ModelUpdate {
  status: 'updated' | 'unchanged' | 'skipped';
  modelVersion: string | null;
  reason: string | null;
}

export interface SyncDeps {
  repo: Repository;
  source: ResultsSource;
  /** The freeze policy whose official snapshot the outcome reports (every official one is scored). */
  policy: FreezePolicy;
  /** Teaches the current model the race's result once it is stored, as the backtest does between races. */
  updateModel?: (raceId: number) => Promise<ModelUpdate>;
}

/**
 * Stores the official classification of a race and evaluates its frozen prediction, in
 * ONE transaction: a failure anywhere (upstream rows that do not validate, a dropped
 * connection) leaves nothing behind, and the re-run does it all (upserts, so idempotent).
 * Then the model learns the result (after the commit: the update reads the stored
 * classification); a failed update fails the call, and the retry redoes both, idempotently.
 */
export async function syncResults(deps: SyncDeps, ref: RaceRef): Promise<SyncOutcome> {
  const race = await findRace(deps.repo, ref);
  try {
    return await fetchAndStore(deps, race);
  } catch (err) {
    // After the rollback: the failed run and its quarantined rows outlive the refused data.
    // Recording is secondary: a database that cannot take it must not hide the upstream's fault.
    if (err instanceof UpstreamError) await recordFailedRun(deps.repo, race, deps.source.name, err).catch(() => undefined);
    throw err;
  }
}

/**
 * A refused sync as a failed ingestion run (source 'results-sync'), with the rows it refused
 * quarantined with their reasons. Only refusals are recorded: a stored classification is in
 * the results, and "not published yet" is the normal state before a race is classified.
 */
async function recordFailedRun(repo: Repository, race: Race, source: ResultsSource['name'], err: UpstreamError): Promise<void> {
  const refused: RefusedRow[] = err instanceof UpstreamIncompleteError ? err.refused : [];
  const run = await repo.ingestionRuns.start('results-sync', { season: race.season, round: race.round, raceId: race.id, source });
  await repo.ingestionRuns.quarantine(refused.map((r) => ({ runId: run.id, source: 'results-sync', tableName: r.table, raw: r.raw, reason: r.reason })));
  const read = typeof err.details?.rows === 'number' ? err.details.rows : refused.length;
  await repo.ingestionRuns.finish(run.id, {
    counts: { results: { read, inserted: 0, updated: 0, unchanged: 0, quarantined: refused.length } },
    error: `${err.code}: ${err.message}`,
  });
}

async function fetchAndStore(deps: SyncDeps, race: Race): Promise<SyncOutcome> {
  const fetched = await deps.source.fetch(race);
  const synced = await deps.repo.withTransaction(async (trx) => {
    if (fetched !== 'stored') await storeClassification(trx, race, fetched);
    const results = await trx.reference.results(race.id);
    if (results.length === 0) {
      throw new NotReadyError(`no results for ${race.name} ${race.season}`, RESULTS_RETRY_AFTER_SECONDS, { raceId: race.id });
    }
    const evaluation = await evaluateRace(trx, race.id, deps.policy);
    return { raceId: race.id, source: deps.source.name, classified: results.length, evaluation };
  });
  const modelUpdate = deps.updateModel ? await deps.updateModel(race.id) : null;
  return { ...synced, modelUpdate };
}

async function storeClassification(trx: Repository, race: Race, batch: Pick<RecordBatch, 'results' | 'drivers' | 'constructors'>) {
  const problems: string[] = [];
  const refused: RefusedRow[] = [];
  const parse = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, rows: unknown[] | undefined, what: string): T[] =>
    (rows ?? []).flatMap((row, i) => {
      const p = schema.safeParse(row);
      if (p.success) return [p.data];
      const reason = `${what}[${i}]: ${p.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join(', ')}`;
      problems.push(reason);
      refused.push({ table: what, raw: row, reason });
      return [];
    });
  const drivers = parse(driverRecord, batch.drivers, 'drivers');
  const constructors = parse(constructorRecord, batch.constructors, 'constructors');
  const results = parse(resultRecord, batch.results, 'results').filter((r) => r.season === race.season && r.round === race.round);
  if (problems.length) throw new UpstreamIncompleteError(`the results source sent rows that do not validate (${problems.slice(0, 3).join('; ')}); nothing stored`, refused, { problems, rows: batch.results?.length ?? 0 });
  if (drivers.length) await trx.reference.upsert('drivers', drivers as Record<string, unknown>[]);
  if (constructors.length) await trx.reference.upsert('constructors', constructors as Record<string, unknown>[]);
  await trx.reference.ensure('status', [...new Set(results.map((r) => r.status))]);
  const keys = await trx.reference.keys();
  const rows = results.map((r) => {
    const driverId = keys.drivers.get(r.driverRef);
    const constructorId = keys.constructors.get(r.constructorRef);
    if (driverId === undefined || constructorId === undefined) {
      problems.push(`result of ${r.driverRef}/${r.constructorRef}: unknown driver or constructor`);
    }
    const { season: _s, round: _r, driverRef: _d, constructorRef: _c, status, ...rest } = r;
    return { ...rest, raceId: race.id, driverId, constructorId, statusId: keys.status.get(status) };
  });
  if (problems.length) throw new UpstreamError('the results source named unknown drivers or constructors; nothing stored', undefined, { problems });
  await trx.reference.upsert('results', rows);
}
