import type { FreezePolicy } from '../domain/freeze-policy.js';
import type { PredictionEntry } from '../domain/prediction.js';
import type { Lap, Race } from '../domain/reference.js';
import { fieldLapMedians } from '../domain/timing.js';
import { trackStatusEvents } from '../domain/track-status.js';
import type { Repository } from '../repository/index.js';
import type { PitLap } from '../pits/labels.js';
import type { RaceInput } from '../pits/features.js';
import { circuitInput } from '../pits/load.js';

/**
 * A race as a pit wall knows it at one instant: the laps that had ENDED by then (a lap's
 * end is the race start plus the car's cumulative lap times), the race control messages
 * issued by then, the entry list, the scheduled distance and the circuit's history from
 * earlier seasons. The same cut serves a real session (whose later laps are not stored
 * yet) and a replayed one (whose later laps are, and must stay unseen).
 */
export interface LiveRace {
  race: Race;
  /** Milliseconds since the start at the instant. */
  raceClockMs: number;
  input: RaceInput;
  /** The official frozen pre-race forecast, the live forecast's prior; null when none was frozen. */
  prior: PredictionEntry[] | null;
}

/** The laps each car had completed by `raceClockMs` (a lap without a time counts the lap's field median; one no car timed, none). */
export function lapsEndedBy<L extends Lap>(laps: readonly L[], raceClockMs: number): L[] {
  const medians = fieldLapMedians(laps);
  const byDriver = new Map<number, L[]>();
  for (const l of laps) byDriver.set(l.driverId, [...(byDriver.get(l.driverId) ?? []), l]);
  const out: L[] = [];
  for (const list of byDriver.values()) {
    list.sort((a, b) => a.lap - b.lap);
    let elapsed = 0;
    for (const l of list) {
      // A lap no car has a time for is no lap run (tyre exports list the in-lap after the flag).
      const ms = l.timeMs ?? medians.get(l.lap);
      if (ms === undefined) break;
      elapsed += ms;
      if (elapsed > raceClockMs) break;
      out.push(l);
    }
  }
  return out;
}

/**
 * The scheduled distance, known before the start: the race's distance at this circuit in
 * the latest earlier season, else the race's own classification (a replayed race), else
 * the laps seen so far.
 */
async function scheduledLaps(repo: Repository, race: Race, seen: number): Promise<number> {
  const earlier = (await repo.races.list({ fromSeason: race.season - 3, toSeason: race.season - 1 }))
    .filter((r) => r.circuitId === race.circuitId)
    .sort((a, b) => b.season - a.season);
  for (const r of [...earlier, race]) {
    const results = await repo.reference.results(r.id);
    if (results.length > 0) return Math.max(...results.map((x) => x.laps));
  }
  return Math.max(seen, 1);
}

/** The entry list: driver → team, from qualifying, else the frozen forecast, else the classification. */
async function entrants(repo: Repository, raceId: number, prior: PredictionEntry[] | null): Promise<Map<number, number>> {
  const quali = await repo.reference.qualifying(raceId);
  if (quali.length > 0) return new Map(quali.map((q) => [q.driverId, q.constructorId]));
  if (prior) return new Map(prior.map((e) => [e.driverId, e.constructorId]));
  return new Map((await repo.reference.results(raceId)).map((r) => [r.driverId, r.constructorId]));
}

/** What a race's live ticks share, known before the start: read once per session, not per tick. */
export interface LiveRaceContext {
  race: Race;
  teams: Map<number, number>;
  totalLaps: number;
  circuit: RaceInput['circuit'];
  prior: PredictionEntry[] | null;
}

export async function loadLiveRaceContext(repo: Repository, race: Race, policy: FreezePolicy): Promise<LiveRaceContext> {
  const official = await repo.predictions.official(race.id, policy);
  const prior = official?.entries ?? null;
  const [teams, totalLaps, circuit] = await Promise.all([entrants(repo, race.id, prior), scheduledLaps(repo, race, 0), circuitInput(repo, race)]);
  return { race, teams, totalLaps, circuit, prior };
}

/** The race at one instant: the laps ended and the race control issued by then, over the shared context. */
export async function loadLiveRace(repo: Repository, context: LiveRaceContext, known: { at: Date; startedAt: Date }): Promise<LiveRace> {
  const { race } = context;
  const raceClockMs = Math.max(0, known.at.getTime() - known.startedAt.getTime());
  const [allLaps, messages] = await Promise.all([repo.reference.laps(race.id), repo.reference.raceControl(race.id)]);
  const laps: PitLap[] = lapsEndedBy(allLaps, raceClockMs);
  const trackEvents = trackStatusEvents(messages.filter((m) => m.session === 'race' && Date.parse(m.at) <= known.at.getTime()))
    .map((e) => ({ atMs: Date.parse(e.at) - known.startedAt.getTime(), status: e.status }));
  const totalLaps = Math.max(context.totalLaps, ...laps.map((l) => l.lap));
  return {
    race,
    raceClockMs,
    input: { raceId: race.id, totalLaps, laps, teams: context.teams, ...(context.circuit ? { circuit: context.circuit } : {}), trackEvents },
    prior: context.prior,
  };
}
