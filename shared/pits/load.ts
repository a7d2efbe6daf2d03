import type { Race } from '../domain/reference.js';
import { isFinisher } from '../ingest/quirks.js';
import type { Repository } from '../repository/index.js';
import type { RaceInput } from './features.js';
import { alignRaceLaps } from './labels.js';

/** A race ready for the pit dataset: its laps checked against the classification. */
export interface PitRace extends RaceInput {
  season: number;
  round: number;
  circuitId: number;
}

export interface LoadOutcome {
  races: PitRace[];
  /** Races left out, with the reason (no laps, lap numbers that cannot be aligned). */
  skipped: { season: number; round: number; reason: string }[];
}

/** Builds one race's input from the database, or says why it cannot be used. */
export async function loadPitRace(repo: Repository, race: Race): Promise<PitRace | { skip: string }> {
  const [laps, results] = await Promise.all([repo.reference.laps(race.id), repo.reference.results(race.id)]);
  if (laps.length === 0) return { skip: 'no lap data' };
  if (laps.every((l) => l.compound == null)) return { skip: 'no tyre data' };
  const check = alignRaceLaps(
    laps,
    results.filter((r) => isFinisher(r.status)).map((r) => ({ driverId: r.driverId, officialLaps: r.laps })),
  );
  if (!check.use) return { skip: check.reason };
  const totalLaps = Math.max(...results.map((r) => r.laps), ...check.laps.map((l) => l.lap));
  return {
    raceId: race.id,
    season: race.season,
    round: race.round,
    circuitId: race.circuitId,
    totalLaps,
    laps: check.laps,
    teams: new Map(results.map((r) => [r.driverId, r.constructorId])),
  };
}

export async function loadPitRaces(
  repo: Repository,
  range: { fromSeason: number; toSeason: number; maxRound?: { season: number; round: number } },
  onRace?: (race: Race) => void,
): Promise<LoadOutcome> {
  const races = (await repo.races.list(range)).filter(
    (r) => !range.maxRound || r.season !== range.maxRound.season || r.round <= range.maxRound.round,
  );
  const out: LoadOutcome = { races: [], skipped: [] };
  for (const race of races) {
    const loaded = await loadPitRace(repo, race);
    if ('skip' in loaded) out.skipped.push({ season: race.season, round: race.round, reason: loaded.skip });
    else out.races.push(loaded);
    onRace?.(race);
  }
  return out;
}
