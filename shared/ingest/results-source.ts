import type { Race } from '../domain/reference.js';
import { RESULTS_RETRY_AFTER_SECONDS } from '../domain/result-sync.js';
import { NotReadyError, UpstreamIncompleteError } from '../errors.js';
import type { ResultsSource } from '../lifecycle/sync-results.js';
import type { Repository } from '../repository/index.js';
import { LoadFailedError, loadRecords } from './load.js';
import type { LoadSummary, RecordBatch } from './records.js';

/**
 * Production: an upstream API (Jolpica) that throws NotReadyError until the race is
 * classified. The classification is stored through the one loader (zod, quarantine with
 * reasons, notes, natural-key upserts) in the sync's transaction, and refused whole when the
 * loader or the client set any row aside: storing the rest would score a race on part of its
 * field. The refusal carries the quarantined rows, which the sync records on its failed run
 * once the transaction has rolled back.
 */
export function fetchedResultsSource(fetchRaceResults: (season: number, round: number) => Promise<RecordBatch>): ResultsSource {
  return {
    name: 'jolpica',
    async fetch(race) {
      const batch = await fetchRaceResults(race.season, race.round);
      if (!batch.results?.length && !batch.rejected?.length) {
        throw new NotReadyError(`results of ${race.name} ${race.season} are not published yet`, RESULTS_RETRY_AFTER_SECONDS, { raceId: race.id });
      }
      return (trx, run) => storeClassification(trx, run, race, batch);
    },
  };
}

/** Only the classification and who it names: the race itself is the calendar's, not the sync's, to change. */
function classificationOf(race: Race, batch: RecordBatch): RecordBatch {
  const ours = (r: { season?: unknown; round?: unknown }) => r.season === race.season && r.round === race.round;
  const results = batch.results ?? [];
  return {
    results: results.filter(ours),
    drivers: batch.drivers ?? [],
    constructors: batch.constructors ?? [],
    statuses: batch.statuses ?? [],
    corrections: batch.corrections ?? [],
    warnings: batch.warnings ?? [],
    rejected: [
      ...(batch.rejected ?? []),
      // A row of another race would be loaded into that race: refused, as the whole answer would be.
      ...results.filter((r) => !ours(r)).map((r) => ({ table: 'results' as const, raw: r, reason: `a result of ${r.season} R${r.round} in the classification of ${race.season} R${race.round}` })),
    ],
  };
}

async function storeClassification(trx: Repository, run: { id: number }, race: Race, batch: RecordBatch): Promise<LoadSummary> {
  let summary: LoadSummary;
  try {
    summary = await loadRecords(trx, classificationOf(race, batch), { run, source: 'results-sync' });
  } catch (err) {
    // The sync reports the cause (a lost connection, a constraint), with its own status.
    throw err instanceof LoadFailedError ? err.cause : err;
  }
  const refusedRows = Object.values(summary).reduce((n, c) => n + c.quarantined, 0);
  if (refusedRows > 0) {
    const refused = (await trx.ingestionRuns.quarantined(run.id)).map((q) => ({ table: q.tableName, raw: q.raw, reason: q.reason }));
    const rows = summary.results?.read ?? 0;
    throw new UpstreamIncompleteError(
      `the upstream classification of ${race.name} ${race.season} has ${refusedRows} of ${rows} rows that do not validate (${refused.slice(0, 3).map((r) => r.reason).join('; ')}); nothing stored, the rows are quarantined: sync again once the upstream is corrected`,
      refused,
      { raceId: race.id, rows, rejected: refusedRows },
    );
  }
  return { ...summary, ...(await loadConstructorResults(trx, run, race)) };
}

/**
 * Each team's points of the weekend (race and sprint), as the dump's constructor_results holds
 * them: Jolpica serves no such endpoint, so they are derived from the stored classifications,
 * through the loader like every table.
 */
async function loadConstructorResults(trx: Repository, run: { id: number }, race: Race): Promise<LoadSummary> {
  const [results, sprint, keys] = await Promise.all([trx.reference.results(race.id), trx.reference.sprintResults(race.id), trx.reference.keys()]);
  const refOf = new Map([...keys.constructors].map(([ref, id]) => [id, ref]));
  const points = new Map<number, number>();
  for (const r of [...results, ...sprint]) points.set(r.constructorId, (points.get(r.constructorId) ?? 0) + r.points);
  const constructorResults = [...points].map(([id, p]) => ({ season: race.season, round: race.round, constructorRef: refOf.get(id)!, points: p, status: null }));
  return loadRecords(trx, { constructorResults }, { run, source: 'results-sync' });
}
