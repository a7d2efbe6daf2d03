import type { JolpicaClient } from '../../clients/jolpica.js';
import { NotReadyError, UpstreamIncompleteError, type RefusedRow } from '../../errors.js';
import { RESULTS_RETRY_AFTER_SECONDS } from '../../domain/result-sync.js';
import type { RecordBatch } from '../records.js';
import { jolpicaBatch } from './jolpica-records.js';

export interface FetchRaceResultsOptions {
  /** Time budget (ms) for all of the call's requests, retries and waits included. */
  withinMs?: number;
}

/**
 * The official classification of one race as normalised records (race, drivers,
 * constructors, statuses, results), for the result-sync step. Throws NotReadyError while
 * Jolpica has not published it (no race at all, or a race without results). Always asks
 * upstream (no cache): a provisional classification can still change. An answer about
 * another race, or with a car twice, is an upstream fault (UpstreamIncompleteError, 502),
 * never "not ready": a retry would get the same answer.
 */
export async function fetchRaceResults(client: JolpicaClient, season: number, round: number, options: FetchRaceResultsOptions = {}): Promise<RecordBatch> {
  const races = await client.results({ season, round }, { fresh: true, ...(options.withinMs !== undefined ? { withinMs: options.withinMs } : {}) });
  const others = races.filter((r) => r.season !== season || r.round !== round);
  if (others.length) {
    const named = others.map((r) => `${r.season} R${r.round}`).join(', ');
    throw new UpstreamIncompleteError(`asked for the results of ${season} R${round}, the upstream answered with ${named}; nothing stored`, [], { season, round, answered: named });
  }
  const race = races[0];
  if (!race || (!race.Results?.length && race.invalid.length === 0)) {
    throw new NotReadyError(`results of ${season} R${round} are not published yet`, RESULTS_RETRY_AFTER_SECONDS, { season, round });
  }
  // One row per car (the results table's key: driver and car number).
  const seen = new Set<string>();
  const duplicated: RefusedRow[] = [];
  for (const r of race.Results ?? []) {
    const key = `${r.Driver.driverId}#${r.number ?? ''}`;
    if (seen.has(key)) duplicated.push({ table: 'results', raw: { season, round, row: r }, reason: `jolpica ${season} R${round} Results: ${r.Driver.driverId} (car ${r.number ?? '?'}) appears twice` });
    seen.add(key);
  }
  if (duplicated.length) {
    throw new UpstreamIncompleteError(
      `the upstream classification of ${season} R${round} lists ${duplicated.map((d) => d.reason.split(': ')[1]).join(', ')}; nothing stored`,
      duplicated,
      { season, round, rows: race.Results?.length ?? 0, duplicated: duplicated.length },
    );
  }
  return jolpicaBatch({ races: [race] });
}
