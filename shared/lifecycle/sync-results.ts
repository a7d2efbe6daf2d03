import type { Race } from '../domain/reference.js';
import { RESULTS_RETRY_AFTER_SECONDS } from '../domain/result-sync.js';
import { NotReadyError, UpstreamError, UpstreamIncompleteError, type RefusedRow } from '../errors.js';
import type { Repository } from '../repository/index.js';
import type { Evaluation } from '../domain/scoring.js';
import { evaluateRace } from './evaluate.js';
import { findRace, type RaceRef } from './predict.js';
import type { FreezePolicy } from '../domain/freeze-policy.js';

/**
 * Where the official classification comes from. `fetch` runs outside any transaction and
 * resolves to 'stored' when the classification is already in the database (local replay: the
 * dump was ingested), else to the step that stores it in the sync's transaction (the Jolpica
 * source: ingest/results-source.ts); it throws NotReadyError while the classification is not
 * published, and an UpstreamError when its rows are refused (fetching or storing).
 */
export interface ResultsSource {
  readonly name: 'jolpica' | 'dump';
  fetch(race: Race): Promise<'stored' | StoreClassification>;
}

/** Stores a fetched classification through the sync's transaction. */
export type StoreClassification = (trx: Repository) => Promise<void>;

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
    if (fetched !== 'stored') await fetched(trx);
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
