import type { Race } from '../domain/reference.js';
import { isFinisher } from '../ingest/quirks.js';
import type { Repository } from '../repository/index.js';
import { median, type CircuitPitHistory, type RaceInput } from './features.js';
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

/**
 * The circuit's pit history from the Ergast pit stops of up to three earlier seasons
 * (known before the race): median stint length, first-stop lap and stops per car.
 */
export async function circuitPitHistory(repo: Repository, race: Race, calendar?: Race[]): Promise<CircuitPitHistory | undefined> {
  const earlier = (calendar ?? (await repo.races.list({ fromSeason: race.season - 3, toSeason: race.season - 1 }))).filter(
    (r) => r.circuitId === race.circuitId && r.season < race.season && r.season >= race.season - 3,
  );
  const stints: number[] = [];
  const firsts: number[] = [];
  const counts: number[] = [];
  for (const r of earlier) {
    const byDriver = new Map<number, number[]>();
    for (const p of await repo.reference.pitStops(r.id)) byDriver.set(p.driverId, [...(byDriver.get(p.driverId) ?? []), p.lap]);
    for (const laps of byDriver.values()) {
      laps.sort((a, b) => a - b);
      firsts.push(laps[0]!);
      counts.push(laps.length);
      laps.forEach((l, i) => stints.push(l - (i === 0 ? 0 : laps[i - 1]!)));
    }
  }
  if (firsts.length === 0) return undefined;
  return { medianStint: median(stints), medianFirstStop: median(firsts), medianStops: median(counts) };
}

/** Builds one race's input from the database, or says why it cannot be used. */
export async function loadPitRace(repo: Repository, race: Race, calendar?: Race[]): Promise<PitRace | { skip: string }> {
  const [laps, results] = await Promise.all([repo.reference.laps(race.id), repo.reference.results(race.id)]);
  if (laps.length === 0) return { skip: 'no lap data' };
  if (laps.every((l) => l.compound == null)) return { skip: 'no tyre data' };
  const check = alignRaceLaps(
    laps,
    results.filter((r) => isFinisher(r.status)).map((r) => ({ driverId: r.driverId, officialLaps: r.laps })),
  );
  if (!check.use) return { skip: check.reason };
  const totalLaps = Math.max(...results.map((r) => r.laps), ...check.laps.map((l) => l.lap));
  const circuit = await circuitPitHistory(repo, race, calendar);
  return {
    raceId: race.id,
    season: race.season,
    round: race.round,
    circuitId: race.circuitId,
    totalLaps,
    laps: check.laps,
    teams: new Map(results.map((r) => [r.driverId, r.constructorId])),
    ...(circuit ? { circuit } : {}),
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
  const calendar = await repo.races.list({ fromSeason: range.fromSeason - 3, toSeason: range.toSeason });
  const out: LoadOutcome = { races: [], skipped: [] };
  for (const race of races) {
    const loaded = await loadPitRace(repo, race, calendar);
    if ('skip' in loaded) out.skipped.push({ season: race.season, round: race.round, reason: loaded.skip });
    else out.races.push(loaded);
    onRace?.(race);
  }
  return out;
}
