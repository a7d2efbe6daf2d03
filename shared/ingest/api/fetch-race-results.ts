import type { JolpicaClient } from '../../clients/jolpica.js';
import { NotReadyError } from '../../errors.js';
import type { RecordBatch } from '../records.js';
import { jolpicaBatch } from './jolpica-records.js';

/** How long a caller (Cloud Scheduler) should wait before asking again for unpublished results. */
export const RESULTS_RETRY_AFTER_SECONDS = 15 * 60;

/**
 * The official classification of one race as normalised records (race, drivers,
 * constructors, statuses, results), for the result-sync step. Throws NotReadyError while
 * Jolpica has not published it (an empty Races array, or a race without results). Always
 * asks upstream (no cache): a provisional classification can still change.
 */
export async function fetchRaceResults(client: JolpicaClient, season: number, round: number): Promise<RecordBatch> {
  const races = await client.results({ season, round }, { fresh: true });
  const race = races.find((r) => r.season === season && r.round === round);
  if (!race?.Results?.length) {
    throw new NotReadyError(`results of ${season} R${round} are not published yet`, RESULTS_RETRY_AFTER_SECONDS, { season, round });
  }
  return jolpicaBatch({ races: [race] });
}
