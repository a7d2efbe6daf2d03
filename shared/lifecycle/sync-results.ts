import type { Race } from '../domain/reference.js';
import { NotReadyError, UpstreamError } from '../errors.js';
import { constructorRecord, driverRecord, resultRecord, type RecordBatch } from '../ingest/records.js';
import type { Repository } from '../repository/index.js';
import type { Evaluation } from './domain.js';
import { evaluateRace } from './evaluate.js';
import { findRace, type RaceRef } from './predict.js';
import type { FreezePolicy } from '../config/config.js';

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

/** Production: an upstream API (Jolpica) that throws NotReadyError until the race is classified. */
export function fetchedResultsSource(fetchRaceResults: (season: number, round: number) => Promise<RecordBatch>): ResultsSource {
  return {
    name: 'jolpica',
    async fetch(race) {
      const batch = await fetchRaceResults(race.season, race.round);
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
  const parse = <T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, rows: unknown[] | undefined, what: string): T[] =>
    (rows ?? []).flatMap((row, i) => {
      const p = schema.safeParse(row);
      if (p.success) return [p.data];
      problems.push(`${what}[${i}]: ${p.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join(', ')}`);
      return [];
    });
  const drivers = parse(driverRecord, batch.drivers, 'drivers');
  const constructors = parse(constructorRecord, batch.constructors, 'constructors');
  const results = parse(resultRecord, batch.results, 'results').filter((r) => r.season === race.season && r.round === race.round);
  if (problems.length) throw new UpstreamError('the results source sent rows that do not validate; nothing stored', undefined, { problems });
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
