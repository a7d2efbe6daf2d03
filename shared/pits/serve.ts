import type * as tf from '@tensorflow/tfjs';
import { NotFoundError, ValidationError } from '../errors.js';
import { bind, type BoundRoute } from '../http/route.js';
import { pitsRoutes } from './routes.js';
import type { Race } from '../domain/reference.js';
import type { Logger } from '../log/logger.js';
import type { Repository } from '../repository/index.js';
import { buildSequences, featureCount, replayWindows, windowAt, type CircuitInput, type DriverSequence, type RaceInput } from './features.js';
import { circuitInput, loadPitRace } from './load.js';
import type { TtlCache } from '../cache/ttl-cache.js';
import { type LruCache } from '../cache/lru-cache.js';
import { predictPits } from './model.js';
import { PitsBusyError, type WorkGate } from './work-gate.js';

/**
 * Pit forecasts for a race at lap N: each driver still running at lap N gets
 * P(pit within the next 1, 3 and 5 laps), from what was known at each car's decision
 * point (features.ts: no input timestamped after it, whatever else the race data holds).
 */
export interface LoadedPitModel {
  version: string;
  model: tf.LayersModel;
  window: number;
  threshold: number;
}

/** Where the serving model comes from (the latest 'pit' model version). */
export interface PitModelSource {
  latest(): Promise<LoadedPitModel>;
}

export interface DriverPitForecast {
  driverId: number;
  withinLaps: { '1': number; '3': number; '5': number };
  /** P(pit next lap) ≥ the model's threshold. */
  alarm: boolean;
}

export interface PitForecastResponse {
  raceId: number | null;
  lap: number;
  modelVersion: string;
  drivers: (DriverPitForecast & DriverName)[];
}

export interface PitTimelineResponse {
  raceId: number;
  modelVersion: string;
  threshold: number;
  /** The race's distance in the classification: every cell's lap is within 1..totalLaps. */
  totalLaps: number;
  drivers: (PitTimelineDriver & DriverName & { finish: number | null; status: string | null })[];
}

/**
 * Each car's decision at its lap `lap` (pit at the end of lap+1), from what was known at its
 * decision point: later rows of `race` (or trackEvents) are never read (features.ts), so a
 * stored race and a live one give the same answer.
 */
export function forecastAtLap(loaded: LoadedPitModel, race: RaceInput, lap: number): DriverPitForecast[] {
  return forecastEach(loaded, race, (seq) => seq.laps.indexOf(lap));
}

/** Live: every car at the last lap it completed (a lapped car is a lap or more behind the leader). */
export function forecastAtLatestLaps(loaded: LoadedPitModel, race: RaceInput): (DriverPitForecast & { lap: number })[] {
  const lapOf = new Map<number, number>();
  const out = forecastEach(loaded, race, (seq) => {
    lapOf.set(seq.driverId, seq.laps.at(-1)!);
    return seq.laps.length - 1;
  });
  return out.map((f) => ({ ...f, lap: lapOf.get(f.driverId)! }));
}

function forecastEach(loaded: LoadedPitModel, race: RaceInput, indexOf: (seq: DriverSequence) => number): DriverPitForecast[] {
  const rows: { driverId: number; window: Float32Array }[] = [];
  for (const seq of buildSequences(race)) {
    const index = indexOf(seq);
    if (index >= 0) rows.push({ driverId: seq.driverId, window: windowAt(seq, index, loaded.window) });
  }
  if (rows.length === 0) return [];
  const windows = new Float32Array(rows.length * loaded.window * featureCount);
  rows.forEach((r, i) => windows.set(r.window, i * loaded.window * featureCount));
  const probs = predictPits(loaded.model, windows, rows.length, loaded.window);
  return rows
    .map((r, i) => ({
      driverId: r.driverId,
      withinLaps: { '1': probs[i]![0]!, '3': probs[i]![1]!, '5': probs[i]![2]! },
      alarm: probs[i]![0]! >= loaded.threshold,
    }))
    .sort((a, b) => b.withinLaps['1'] - a.withinLaps['1']);
}

export interface PitTimelineCell {
  /** The lap at whose end the car may box: 2..the car's last lap (lap 1 has no forecast before it). */
  lap: number;
  /** The forecast read laps 1..forecastAfterLap (= lap − 1), as it would have live. */
  forecastAfterLap: number;
  /** P(the car boxes at the end of `lap`). */
  pPit: number;
  /** The car did box at the end of `lap` (a stop: tyres changed). */
  pitted: boolean;
}

export interface PitTimelineDriver {
  driverId: number;
  /** The last lap the car ran (its classified laps when it retired); no cell goes beyond it. */
  lastLap: number;
  laps: PitTimelineCell[];
}

/** Yields to the event loop: queued I/O callbacks run before the next chunk of CPU work. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Windows per model call in a timeline. On wasm a call costs ~0.5 ms per window plus a
 * few ms: 64 windows (3 laps of a 20-car field) hold the event loop ~30 ms and cost close
 * to one call over the whole race, which would hold it for most of a second.
 */
export const timelineChunkRows = 64;

/**
 * A stored race replayed lap by lap: at every lap t the forecast sees only laps 1..t
 * (the windows are those of forecastAtLap(race, t), taken from the whole race's sequences:
 * no feature reads past its decision point) and says whether the car boxes at the end of lap t+1, so the
 * cell of lap t+1 is what the model would have said live, one lap ahead.
 * `lastLaps` caps a car's cells at the laps the classification credits it with: source
 * laps of a retired car can run past the lap it stopped on (Monaco 2024's lap-1 retirees).
 * The model runs once per `chunkRows` windows (not once per lap), with a turn of the event
 * loop before each call and after the sequences are built.
 */
export async function pitTimeline(
  loaded: LoadedPitModel,
  race: RaceInput,
  lastLaps: Map<number, number> = new Map(),
  pause: () => Promise<void> = nextTurn,
  chunkRows = timelineChunkRows,
): Promise<PitTimelineDriver[]> {
  const sequences = buildSequences(race);
  const stops = new Map(sequences.map((s) => [s.driverId, new Set(s.stops)]));
  const lastLap = new Map(
    sequences.map((s) => [s.driverId, Math.min(s.laps.at(-1)!, lastLaps.get(s.driverId) ?? Infinity, race.totalLaps)]),
  );
  const byDriver = new Map<number, PitTimelineCell[]>(sequences.map((s) => [s.driverId, []]));
  const lastForecast = Math.max(...lastLap.values()) - 1;
  // A turn after the whole race's sequences and one before each model call: other requests
  // (health checks, cached reads) run between them, not after the race.
  await pause();
  const size = loaded.window * featureCount;
  let pending: { driverId: number; lap: number; window: Float32Array }[] = [];
  const predict = async () => {
    await pause();
    if (pending.length === 0) return;
    const windows = new Float32Array(pending.length * size);
    pending.forEach((r, i) => windows.set(r.window, i * size));
    const probs = predictPits(loaded.model, windows, pending.length, loaded.window);
    pending.forEach((r, i) => {
      byDriver.get(r.driverId)!.push({ lap: r.lap, forecastAfterLap: r.lap - 1, pPit: probs[i]![0]!, pitted: stops.get(r.driverId)!.has(r.lap) });
    });
    pending = [];
  };
  const forecastLaps = Array.from({ length: Math.max(0, lastForecast) }, (_, i) => i + 1);
  for (const { lap: t, rows } of replayWindows(race, loaded.window, forecastLaps, sequences)) {
    for (const r of rows) if (t + 1 <= lastLap.get(r.driverId)!) pending.push({ driverId: r.driverId, lap: t + 1, window: r.window });
    if (pending.length >= chunkRows) await predict();
  }
  if (pending.length > 0) await predict();
  return [...byDriver].map(([driverId, laps]) => ({ driverId, lastLap: Math.max(0, lastLap.get(driverId)!), laps }));
}

/** A driver as the API shows them: the numeric id with the name and code beside it. */
export interface DriverName {
  code: string | null;
  name: string;
}

export type DriverNames = (driverId: number) => DriverName;

export async function driverNames(repo: Repository): Promise<DriverNames> {
  const byId = new Map((await repo.reference.drivers()).map((d) => [d.id, { code: d.code, name: `${d.forename} ${d.surname}` }]));
  return (driverId) => byId.get(driverId) ?? { code: null, name: `driver ${driverId}` };
}

const named = async <T extends { driverId: number }>(deps: PitsHandlerDeps, xs: T[]): Promise<(T & DriverName)[]> => {
  // Every driver row on each request was a large share of a cheap one: kept a while per instance.
  const nameOf = await (deps.names ? deps.names.get('drivers', () => driverNames(deps.repo)) : driverNames(deps.repo));
  return xs.map(({ driverId, ...rest }) => ({ driverId, ...nameOf(driverId), ...rest }) as T & DriverName);
};


export interface PitsHandlerDeps {
  repo: Repository;
  logger: Logger;
  models: PitModelSource;
  /** Per-instance cache of stored-race forecasts; none: computed on every request. */
  cache?: LruCache<unknown, string>;
  /** How many forecasts may compute at once and wait; none: no limit. */
  gate?: WorkGate;
  /** Driver names, re-read after a while; none: read on every request. */
  names?: TtlCache<DriverNames, string>;
}


/** Why a race has no pit view, and what fills it. */
function noLapData(race: Race, skip: string): NotFoundError {
  const why = skip === 'no tyre data' ? 'its lap data has no tyre compounds, which the pit model reads' : 'no lap-by-lap data is stored for it';
  return new NotFoundError('lap data of race', race.id, `${race.name} ${race.season}: ${why}; load lap files with npx pitwall ingest --laps <dir>`);
}

async function raceById(repo: Repository, id: number): Promise<Race> {
  const race = await repo.races.byId(id);
  if (!race) throw new NotFoundError('race', id, 'list races with GET /races?season=YYYY');
  return race;
}

async function storedRaceInput(repo: Repository, race: Race): Promise<RaceInput> {
  const input = await loadPitRace(repo, race);
  if ('skip' in input) throw noLapData(race, input.skip);
  return input;
}

/**
 * The serving model for a stored-race read. Without one, an unknown race or a race without
 * laps is the answer a caller can act on (404 with how to load them), not "no model yet".
 */
async function modelFor(deps: PitsHandlerDeps, raceId: number): Promise<LoadedPitModel> {
  try {
    return await deps.models.latest();
  } catch (err) {
    await storedRaceInput(deps.repo, await raceById(deps.repo, raceId));
    throw err;
  }
}

const gated = <T>(deps: PitsHandlerDeps, compute: () => Promise<T>): Promise<T> => (deps.gate ? deps.gate.run(compute) : compute());

/**
 * A stored-race read by (race id, model version): a hit costs no query and no gate slot; a
 * miss finds the race (404 if none) and computes once (single flight) inside the gate.
 */
const timelineKey = (raceId: number, modelVersion: string) => `timeline/${raceId}/${modelVersion}`;
const lapKey = (raceId: number, modelVersion: string, lap: number) => `lap/${raceId}/${modelVersion}/${lap}`;

const cachedRead = <T>(deps: PitsHandlerDeps, key: string, raceId: number, compute: (race: Race) => Promise<T>): Promise<T> => {
  const read = async () => {
    const race = await raceById(deps.repo, raceId);
    return gated(deps, () => compute(race));
  };
  return deps.cache ? (deps.cache.getOrLoad(key, read) as Promise<T>) : read();
};

async function timelineOf(deps: PitsHandlerDeps, race: Race, loaded: LoadedPitModel): Promise<PitTimelineResponse> {
  const input = await storedRaceInput(deps.repo, race);
  const results = await deps.repo.reference.results(race.id);
  const classified = new Map(results.map((r) => [r.driverId, r]));
  const cars = await pitTimeline(loaded, input, new Map(results.map((r) => [r.driverId, r.laps])));
  // In classification order, each car with how its race ended (why a row stops early).
  const drivers = (await named(deps, cars))
    .map((d) => ({ ...d, finish: classified.get(d.driverId)?.positionOrder ?? null, status: classified.get(d.driverId)?.status ?? null }))
    .sort((a, b) => (a.finish ?? 99) - (b.finish ?? 99));
  const totalLaps = results.length > 0 ? Math.max(...results.map((r) => r.laps)) : input.totalLaps;
  return { raceId: race.id, modelVersion: loaded.version, threshold: loaded.threshold, totalLaps, drivers };
}

async function forecastOf(deps: PitsHandlerDeps, race: Race, loaded: LoadedPitModel, lap: number): Promise<PitForecastResponse> {
  const input = await storedRaceInput(deps.repo, race);
  if (lap > Math.max(...input.laps.map((l) => l.lap))) {
    throw new ValidationError(`lap ${lap} is beyond the last lap stored for race ${race.id}`);
  }
  return { raceId: race.id, lap, modelVersion: loaded.version, drivers: await named(deps, forecastAtLap(loaded, input, lap)) };
}

/**
 * A model source whose concurrent callers share one load: until a version is current, every
 * caller of the plain source loads the artifact itself (50 first requests, 50 loads).
 */
export function sharedModelLoads(source: PitModelSource): PitModelSource {
  let pending: Promise<LoadedPitModel> | undefined;
  return {
    latest: () =>
      (pending ??= source.latest().finally(() => {
        pending = undefined;
      })),
  };
}

/** The pit routes, as the function sees them deployed (after FUNCTIONS_BASE_URL/pits). */
export function pitsFunction(deps: PitsHandlerDeps): BoundRoute[] {
  return [
    bind(pitsRoutes.timeline, async ({ params: { raceId } }) => {
      const loaded = await modelFor(deps, raceId);
      const body = await cachedRead(deps, timelineKey(raceId, loaded.version), raceId, (race) => timelineOf(deps, race, loaded));
      // The cached object is served again and again: serialised once (stableBody), not per hit.
      return { status: 200, headers: { 'Cache-Control': 'public, max-age=300' }, body, stableBody: deps.cache !== undefined };
    }),
    bind(pitsRoutes.atLap, async ({ params: { raceId }, query: { lap } }) => {
      const loaded = await modelFor(deps, raceId);
      const body = await cachedRead(deps, lapKey(raceId, loaded.version, lap), raceId, (race) => forecastOf(deps, race, loaded, lap));
      return { status: 200, headers: {}, body, stableBody: deps.cache !== undefined };
    }),
    bind(
      pitsRoutes.live,
      async ({ body: live }) => {
        let circuit: CircuitInput | undefined;
        if (live.raceId !== undefined) {
          const race = await deps.repo.races.byId(live.raceId);
          if (!race) throw new NotFoundError('race', live.raceId);
          circuit = await circuitInput(deps.repo, race);
        }
        const loaded = await deps.models.latest();
        const input: RaceInput = {
          raceId: 0,
          totalLaps: live.totalLaps,
          teams: new Map(Object.entries(live.teams).map(([d, c]) => [Number(d), c])),
          ...(circuit ? { circuit } : {}),
          laps: live.laps.map((l) => ({
            raceId: 0, driverId: l.driverId, lap: l.lap, position: l.position ?? null, timeMs: l.timeMs ?? null,
            compound: l.compound ?? null, stint: l.stint ?? null, tyreLife: l.tyreLife ?? null, freshTyre: null,
            trackStatus: l.trackStatus ?? null, pitIn: l.pitIn ?? null, pitOut: l.pitOut ?? null, sources: ['request'],
          })),
        };
        const drivers = await gated(deps, async () => named(deps, forecastAtLap(loaded, input, live.lap)));
        const body: PitForecastResponse = { raceId: live.raceId ?? null, lap: live.lap, modelVersion: loaded.version, drivers };
        return { status: 200, headers: {}, body };
      },
      {
        // Refused before reading and validating thousands of lap rows it would not compute anyway.
        admit: () => {
          if (deps.gate?.full) throw new PitsBusyError();
        },
      },
    ),
  ];
}
