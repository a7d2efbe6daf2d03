import type { Race } from '../domain/reference.js';
import { isFinisher } from '../ingest/quirks.js';
import type { Repository } from '../repository/index.js';
import { median, type CircuitInput, type CircuitPitHistory, type RaceInput } from './features.js';
import { alignRaceLaps, stopLaps, type PitLap } from './labels.js';

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

const greenLap = (l: PitLap) => l.timeMs != null && l.lap > 1 && !l.pitIn && !l.pitOut && !/[4567]/.test(l.trackStatus ?? '');

/**
 * What stops cost in one race: per stop under green (in-lap and out-lap both green), the
 * in-lap + out-lap − 2 × the car's green median lap. Implausible values (a slow stop, a
 * repair, a missing time) are left out.
 */
export function racePitLosses(laps: PitLap[]): number[] {
  const byDriver = new Map<number, PitLap[]>();
  for (const l of laps) byDriver.set(l.driverId, [...(byDriver.get(l.driverId) ?? []), l]);
  const out: number[] = [];
  for (const own of byDriver.values()) {
    own.sort((a, b) => a.lap - b.lap);
    const pace = median(own.filter(greenLap).map((l) => l.timeMs!));
    if (!Number.isFinite(pace)) continue;
    for (const s of stopLaps(own)) {
      const inLap = own.find((l) => l.lap === s);
      const outLap = own.find((l) => l.lap === s + 1);
      if (!inLap?.timeMs || !outLap?.timeMs || /[4567]/.test(`${inLap.trackStatus ?? ''}${outLap.trackStatus ?? ''}`)) continue;
      const loss = inLap.timeMs + outLap.timeMs - 2 * pace;
      if (loss > 8_000 && loss < 45_000) out.push(loss);
    }
  }
  return out;
}

/** Stints ended by a stop, their length (the in-lap's tyre life) by dry compound. */
export function raceStintLengths(laps: PitLap[]): Record<string, number[]> {
  const byDriver = new Map<number, PitLap[]>();
  for (const l of laps) byDriver.set(l.driverId, [...(byDriver.get(l.driverId) ?? []), l]);
  const out: Record<string, number[]> = {};
  for (const own of byDriver.values()) {
    for (const s of stopLaps(own)) {
      const inLap = own.find((l) => l.lap === s);
      if (!inLap?.compound || !['SOFT', 'MEDIUM', 'HARD'].includes(inLap.compound) || !inLap.tyreLife) continue;
      (out[inLap.compound] ??= []).push(inLap.tyreLife);
    }
  }
  return out;
}

/** What one race says of its circuit, per race id, so a race's laps are read once across a load. */
export type PitLossCache = Map<number, { losses: number[]; stints: Record<string, number[]> }>;

/**
 * The circuit's pit loss from the laps of up to three earlier seasons there (known before
 * the race); undefined when none has lap data (the features then use a default).
 */
export async function circuitPitLoss(repo: Repository, race: Race, calendar?: Race[], cache: PitLossCache = new Map()): Promise<number | undefined> {
  return (await circuitLapHistory(repo, race, calendar, cache)).pitLossMs;
}

/** Pit loss and the median stint per dry compound at the circuit, from the laps of up to three earlier seasons. */
async function circuitLapHistory(repo: Repository, race: Race, calendar: Race[] | undefined, cache: PitLossCache): Promise<Pick<CircuitInput, 'pitLossMs' | 'medianStintByCompound'>> {
  const earlier = (calendar ?? (await repo.races.list({ fromSeason: race.season - 3, toSeason: race.season - 1 }))).filter(
    (r) => r.circuitId === race.circuitId && r.season < race.season && r.season >= race.season - 3,
  );
  const losses: number[] = [];
  const stints: Record<string, number[]> = {};
  for (const r of earlier) {
    if (!cache.has(r.id)) {
      const laps = await repo.reference.laps(r.id);
      cache.set(r.id, { losses: racePitLosses(laps), stints: raceStintLengths(laps) });
    }
    const h = cache.get(r.id)!;
    losses.push(...h.losses);
    for (const [c, xs] of Object.entries(h.stints)) (stints[c] ??= []).push(...xs);
  }
  const byCompound = Object.fromEntries(Object.entries(stints).filter(([, xs]) => xs.length >= 3).map(([c, xs]) => [c, median(xs)]));
  return {
    ...(losses.length >= 3 ? { pitLossMs: median(losses) } : {}),
    ...(Object.keys(byCompound).length > 0 ? { medianStintByCompound: byCompound } : {}),
  };
}

/** Everything the pit features read of the circuit before the race: pit history and pit loss. */
export async function circuitInput(repo: Repository, race: Race, calendar?: Race[], cache?: PitLossCache): Promise<CircuitInput | undefined> {
  const [history, laps] = await Promise.all([circuitPitHistory(repo, race, calendar), circuitLapHistory(repo, race, calendar, cache ?? new Map())]);
  if (!history && Object.keys(laps).length === 0) return undefined;
  return { ...history, ...laps };
}

/** Builds one race's input from the database, or says why it cannot be used. */
export async function loadPitRace(repo: Repository, race: Race, calendar?: Race[], cache?: PitLossCache): Promise<PitRace | { skip: string }> {
  const [laps, results] = await Promise.all([repo.reference.laps(race.id), repo.reference.results(race.id)]);
  if (laps.length === 0) return { skip: 'no lap data' };
  if (laps.every((l) => l.compound == null)) return { skip: 'no tyre data' };
  const check = alignRaceLaps(
    laps,
    results.filter((r) => isFinisher(r.status)).map((r) => ({ driverId: r.driverId, officialLaps: r.laps })),
  );
  if (!check.use) return { skip: check.reason };
  const totalLaps = Math.max(...results.map((r) => r.laps), ...check.laps.map((l) => l.lap));
  const circuit = await circuitInput(repo, race, calendar, cache);
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
  const cache: PitLossCache = new Map();
  for (const race of races) {
    const loaded = await loadPitRace(repo, race, calendar, cache);
    if ('skip' in loaded) out.skipped.push({ season: race.season, round: race.round, reason: loaded.skip });
    else out.races.push(loaded);
    onRace?.(race);
  }
  return out;
}
