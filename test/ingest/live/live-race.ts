import { loadRecords } from '../../../shared/ingest/load.js';
import type { LapRecord } from '../../../shared/ingest/records.js';
import type { Repository } from '../../../shared/repository/index.js';
import { buildSeason, resultRows, type BuiltSeason } from '../../helpers/builders.js';

/**
 * A small stored race for the live path: 2024 R1 (Bahrain, the builder's, Sunday 13:00 UTC),
 * four cars numbered as the builder's drivers, 12 laps of 80 s plus 0.5 s per place, one stop
 * each at the end of lap 6, a safety car over laps 4–6 and a VSC over laps 9–10.
 */
export const RACE_START = '2024-03-03T13:00:00.000Z';
export const LAPS = 12;
export const TRACK_STATUS: Record<number, string> = { 4: '14', 5: '4', 6: '41', 9: '167', 10: '71' };
export const NUMBERS = [1, 4, 16, 81];

/** The season, with results carrying car numbers for the first `numbered` drivers (the rest: no number, unknown to the poll). */
export async function buildLiveSeason(repo: Repository, numbered = 4): Promise<BuiltSeason> {
  const s = await buildSeason(repo, { races: 1, drivers: 4 });
  const race = s.races[0]!;
  const rows = resultRows(s, race, s.drivers).map((r, i) => ({ ...r, number: i < numbered ? NUMBERS[i]! : null, laps: LAPS }));
  await repo.reference.upsert('results', rows);
  return s;
}

/** The race's laps, through the one loader (source fastf1, as a replayed race has them). */
export async function storeLiveLaps(repo: Repository, s: BuiltSeason): Promise<void> {
  const laps: LapRecord[] = s.driverRefs.flatMap((driverRef, i) =>
    Array.from({ length: LAPS }, (_, k): LapRecord => {
      const lap = k + 1;
      return {
        season: 2024, round: 1, driverRef, lap, source: 'fastf1',
        timeMs: 80_000 + i * 500 + (lap === 1 ? 5_000 : 0), position: i + 1,
        compound: lap <= 6 ? 'MEDIUM' : 'HARD', stint: lap <= 6 ? 1 : 2, tyreLife: lap <= 6 ? lap + 2 : lap - 6, freshTyre: lap > 6,
        trackStatus: TRACK_STATUS[lap] ?? '1', pitIn: lap === 6, pitOut: lap === 7,
      };
    }),
  );
  const run = await repo.ingestionRuns.start('laps', {});
  await loadRecords(repo, { laps }, { run, source: 'laps' });
}

/** When a car (index i, 0 = leader) crosses the line at the end of `lap`. */
export const lineAt = (i: number, lap: number) => Date.parse(RACE_START) + 5_000 + lap * (80_000 + i * 500);
