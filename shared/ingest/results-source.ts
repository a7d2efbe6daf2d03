import type { Race } from '../domain/reference.js';
import { RESULTS_RETRY_AFTER_SECONDS } from '../domain/result-sync.js';
import { NotReadyError, UpstreamError, UpstreamIncompleteError, type RefusedRow } from '../errors.js';
import type { ResultsSource } from '../lifecycle/sync-results.js';
import type { Repository } from '../repository/index.js';
import { constructorRecord, driverRecord, resultRecord, type RecordBatch } from './records.js';

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
      return (trx) => storeClassification(trx, race, batch);
    },
  };
}

/** Validates the classification's rows (all or nothing) and upserts them on their natural keys. */
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
