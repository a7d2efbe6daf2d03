import type { Race } from '../domain/reference.js';
import { RESULTS_RETRY_AFTER_SECONDS } from '../domain/result-sync.js';
import {
  classificationChanges, describeChanges, FIRST_VERSION_SUMMARY, versionedResult, type ResultVersion,
} from '../domain/result-versions.js';
import { ConflictError, NotReadyError, PitwallError, UpstreamError, UpstreamIncompleteError, type RefusedRow } from '../errors.js';
import type { Repository } from '../repository/index.js';
import type { IngestionRun, TableCounts } from '../repository/ingestion-runs-store.js';
import type { Evaluation } from '../domain/scoring.js';
import { systemClock, type Clock } from '../clock.js';
import { evaluateRace } from './evaluate.js';
import { findRace, type RaceRef } from './predict.js';
import type { FreezePolicy } from '../domain/freeze-policy.js';
import type { ChampionshipUpdate } from '../championship/odds-after-race.js';

/**
 * Where the official classification comes from. `fetch` runs outside any transaction and
 * resolves to 'stored' when the classification is already in the database (local replay: the
 * dump was ingested), else to the step that stores it in the sync's transaction (the Jolpica
 * source: ingest/results-source.ts, through the one loader); it throws NotReadyError while
 * the classification is not published, and an UpstreamError when its rows are refused
 * (fetching or storing: an UpstreamIncompleteError carries the rows to quarantine).
 */
export interface ResultsSource {
  readonly name: 'jolpica' | 'dump';
  fetch(race: Race): Promise<'stored' | StoreClassification>;
}

/**
 * Stores a fetched classification through the sync's transaction, recording quarantined rows
 * and notes under the sync's ingestion run; resolves to the per-table counts.
 */
export type StoreClassification = (trx: Repository, run: { id: number }) => Promise<Record<string, TableCounts>>;

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

/** What this sync did to the race's classification versions (domain/result-versions.ts). */
export interface ResultVersionOutcome {
  /** 'stored': its first version; 'unchanged': the same classification as the current version; 'corrected': a new version. */
  outcome: 'stored' | 'unchanged' | 'corrected';
  version: number;
  syncedAt: Date;
  /** What changed against the previous version ("first classification" for version 1, "no change" when unchanged). */
  summary: string;
}

export interface SyncOutcome {
  raceId: number;
  source: ResultsSource['name'];
  classified: number;
  /** The ingestion run ('results-sync') this sync recorded. */
  runId: number;
  result: ResultVersionOutcome;
  evaluation: Evaluation | null;
  /** The model update after the race (training/update-race-model.ts); null when none is wired. */
  modelUpdate: ModelUpdate | null;
  /** The title odds after the race (lifecycle/championship-odds.ts); absent when none is wired. */
  championship?: ChampionshipUpdate;
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
  /** Stamps a new classification version's synced_at (a replay's simulated clock); the system clock when not given. */
  clock?: Clock;
  /** Teaches the current model the race's result once it is stored, as the backtest does between races. */
  updateModel?: (raceId: number) => Promise<ModelUpdate>;
  /**
   * Computes and stores the title odds after the race, once the result and the model update are
   * in. Secondary: its failure is reported in the outcome, never fails the sync.
   */
  updateChampionship?: (raceId: number) => Promise<ChampionshipUpdate>;
}

/**
 * Stores the official classification of a race, records it as a version when it differs
 * from the current one (a correction after a penalty) and evaluates the frozen prediction
 * against it, in ONE transaction: a failure anywhere (upstream rows that do not validate, a
 * dropped connection) leaves nothing behind, and the re-run does it all (upserts, so
 * idempotent). Every sync that gets a classification is an ingestion run ('results-sync'):
 * succeeded with its counts, or failed with its reason and refused rows. Then the model
 * learns the result (after the commit: the update reads the stored classification); a
 * failed update fails the call, and the retry redoes both, idempotently.
 */
export async function syncResults(deps: SyncDeps, ref: RaceRef): Promise<SyncOutcome> {
  const race = await findRace(deps.repo, ref);
  let run: IngestionRun | undefined;
  try {
    const fetched = await deps.source.fetch(race);
    run = await deps.repo.ingestionRuns.start('results-sync', { season: race.season, round: race.round, raceId: race.id, source: deps.source.name });
    return await store(deps, race, fetched, run);
  } catch (err) {
    // "Not published yet" is the normal state before a race is classified: no run. A refusal or
    // a failure is recorded after the rollback, so the failed run and its quarantined rows
    // outlive the refused data. Recording is secondary: a database that cannot take it must
    // not hide the upstream's fault.
    if (run || err instanceof UpstreamError) {
      await recordFailedRun(deps.repo, race, deps.source.name, err, run).catch(() => undefined);
    }
    throw err;
  }
}

/**
 * A refused or failed sync as a failed ingestion run, with the rows it refused quarantined
 * with their reasons (they were rolled back with the sync's transaction, or never written:
 * refused while fetching).
 */
async function recordFailedRun(repo: Repository, race: Race, source: ResultsSource['name'], err: unknown, started?: IngestionRun): Promise<void> {
  const refused: RefusedRow[] = err instanceof UpstreamIncompleteError ? err.refused : [];
  const run = started ?? (await repo.ingestionRuns.start('results-sync', { season: race.season, round: race.round, raceId: race.id, source }));
  await repo.ingestionRuns.quarantine(refused.map((r) => ({ runId: run.id, source: 'results-sync', tableName: r.table, raw: r.raw, reason: r.reason })));
  const details = err instanceof PitwallError ? err.details : undefined;
  const read = typeof details?.rows === 'number' ? details.rows : refused.filter((r) => r.table === 'results').length;
  const counts: Record<string, TableCounts> = { results: { read, inserted: 0, updated: 0, unchanged: 0, quarantined: 0 } };
  for (const r of refused) (counts[r.table] ??= { read: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0 }).quarantined++;
  const error = err instanceof PitwallError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  await repo.ingestionRuns.finish(run.id, { counts, error });
}

async function store(deps: SyncDeps, race: Race, fetched: 'stored' | StoreClassification, run: IngestionRun): Promise<SyncOutcome> {
  const syncedAt = (deps.clock ?? systemClock).now();
  const synced = await deps.repo.withTransaction(async (trx) => {
    const counts = fetched === 'stored' ? {} : await fetched(trx, run);
    const results = await trx.reference.results(race.id);
    if (results.length === 0) {
      throw new NotReadyError(`no results for ${race.name} ${race.season}`, RESULTS_RETRY_AFTER_SECONDS, { raceId: race.id });
    }
    const result = await recordVersion(trx, race, results, syncedAt, run.id);
    const evaluation = await evaluateRace(trx, race.id, deps.policy);
    // Inside the transaction: the run says succeeded exactly when the classification is stored.
    await trx.ingestionRuns.finish(run.id, { counts });
    return { raceId: race.id, source: deps.source.name, classified: results.length, runId: run.id, result, evaluation };
  });
  const modelUpdate = deps.updateModel ? await deps.updateModel(race.id) : null;
  if (!deps.updateChampionship) return { ...synced, modelUpdate };
  const championship = await deps.updateChampionship(race.id).catch((err: unknown): ChampionshipUpdate => ({
    status: 'failed', season: race.season, round: race.round, model: null, reason: err instanceof Error ? err.message : String(err),
  }));
  return { ...synced, modelUpdate, championship };
}

/**
 * The stored classification as a version: the first one, the current one again (an identical
 * re-sync stores nothing), or the next one with what changed.
 */
async function recordVersion(trx: Repository, race: Race, results: Parameters<typeof versionedResult>[0][], syncedAt: Date, runId: number): Promise<ResultVersionOutcome> {
  const classification = [...results].sort((a, b) => a.positionOrder - b.positionOrder).map(versionedResult);
  const previous = await trx.resultVersions.current(race.id);
  const add = async (v: Omit<ResultVersion, 'raceId' | 'syncedAt' | 'runId' | 'classification'>) =>
    trx.resultVersions.add({ ...v, raceId: race.id, syncedAt, runId, classification }).catch((err: unknown) => {
      // Another sync of the race stored this number first (unique race and version): its transaction won.
      if ((err as { code?: unknown } | null)?.code === '23505') {
        throw new ConflictError(`another sync of ${race.name} ${race.season} stored result version ${v.version} at the same time; nothing stored by this one: sync again`, { raceId: race.id, version: v.version });
      }
      throw err;
    });
  if (!previous) {
    const v = await add({ version: 1, changes: [], summary: FIRST_VERSION_SUMMARY });
    return { outcome: 'stored', version: v.version, syncedAt: v.syncedAt, summary: v.summary };
  }
  const ids = [...new Set([...previous.classification, ...classification].map((r) => r.driverId))];
  const names = await trx.predictions.names(ids, []);
  const nameOf = (id: number) => names.drivers.get(id)?.code ?? names.drivers.get(id)?.name ?? `driver ${id}`;
  const changes = classificationChanges(previous.classification, classification, nameOf);
  if (changes.length === 0) return { outcome: 'unchanged', version: previous.version, syncedAt: previous.syncedAt, summary: describeChanges(changes) };
  const v = await add({ version: previous.version + 1, changes, summary: describeChanges(changes) });
  return { outcome: 'corrected', version: v.version, syncedAt: v.syncedAt, summary: v.summary };
}
