import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../errors.js';
import { toErrorResponse } from '../http/errors.js';
import type { Logger } from '../log/logger.js';
import type { Repository } from '../repository/index.js';
import { buildSequences, featureCount, windowAt, type CircuitPitHistory, type RaceInput } from './features.js';
import { circuitPitHistory, loadPitRace } from './load.js';
import { predictPits } from './model.js';

/**
 * Pit forecasts for a race at lap N: each driver still running at lap N gets
 * P(pit within the next 1, 3 and 5 laps), from laps 1..N only (later laps in the
 * database or the request are cut off before any feature is built).
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
  drivers: DriverPitForecast[];
}

export function forecastAtLap(loaded: LoadedPitModel, race: RaceInput, lap: number): DriverPitForecast[] {
  const known = { ...race, laps: race.laps.filter((l) => l.lap <= lap) };
  const rows: { driverId: number; window: Float32Array }[] = [];
  for (const seq of buildSequences(known)) {
    const index = seq.laps.indexOf(lap);
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

export interface PitTimelineDriver {
  driverId: number;
  /** For each lap L ≥ 2: P(pit at the end of lap L) as forecast at lap L−1, and whether the car stopped then. */
  laps: { lap: number; pNextLap: number; pitted: boolean }[];
}

/**
 * A stored race replayed lap by lap: at every lap the forecast sees only the laps so far
 * (forecastAtLap cuts the rest off), so the timeline is what the model would have said live.
 */
export function pitTimeline(loaded: LoadedPitModel, race: RaceInput): PitTimelineDriver[] {
  const stops = new Map(buildSequences(race).map((s) => [s.driverId, new Set(s.stops)]));
  const byDriver = new Map<number, PitTimelineDriver['laps']>();
  const lastLap = Math.max(...race.laps.map((l) => l.lap));
  for (let lap = 1; lap < lastLap; lap++) {
    for (const f of forecastAtLap(loaded, race, lap)) {
      const laps = byDriver.get(f.driverId) ?? [];
      laps.push({ lap: lap + 1, pNextLap: f.withinLaps['1'], pitted: stops.get(f.driverId)?.has(lap + 1) ?? false });
      byDriver.set(f.driverId, laps);
    }
  }
  return [...byDriver].map(([driverId, laps]) => ({ driverId, laps }));
}

const compound = z.enum(['SOFT', 'MEDIUM', 'HARD', 'INTERMEDIATE', 'WET', 'UNKNOWN']);
const liveLap = z.object({
  driverId: z.number().int().positive(),
  lap: z.number().int().min(1).max(200),
  position: z.number().int().min(1).max(40).nullish(),
  timeMs: z.number().int().positive().nullish(),
  compound: compound.nullish(),
  stint: z.number().int().min(1).nullish(),
  tyreLife: z.number().int().min(0).nullish(),
  trackStatus: z.string().regex(/^[0-7]*$/, 'FastF1 track status digits').nullish(),
  pitIn: z.boolean().nullish(),
  pitOut: z.boolean().nullish(),
});
export const liveRaceRequest = z
  .object({
    lap: z.number().int().min(1).max(200),
    /** The race in the calendar, for its circuit's pit history (optional). */
    raceId: z.number().int().positive().optional(),
    totalLaps: z.number().int().min(1).max(200),
    /** driverId → constructorId, for the teammate feature. */
    teams: z.record(z.string().regex(/^\d+$/), z.number().int().positive()).default({}),
    laps: z.array(liveLap).min(1).max(20_000),
  })
  .strict();
export const storedRaceQuery = z.object({ lap: z.coerce.number().int().min(1).max(200) });

export interface PitsHandlerDeps {
  repo: Repository;
  logger: Logger;
  models: PitModelSource;
}

export interface PitsRequest {
  method: string;
  /** Path after the function name, e.g. "/1123". */
  path: string;
  query: Record<string, unknown>;
  body: unknown;
}

export async function handlePits(deps: PitsHandlerDeps, req: PitsRequest): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  try {
    // Deployed, the function sees "/123"; behind the local dev server, "/pits/123".
    const raceIdText = req.path.replace(/^\/pits(?=\/|$)/, '').replace(/^\/+|\/+$/g, '');
    const timeline = /^(\d+)\/timeline$/.exec(raceIdText);
    if (req.method === 'GET' && timeline) {
      const raceId = Number(timeline[1]);
      const race = await deps.repo.races.byId(raceId);
      if (!race) throw new NotFoundError('race', raceId);
      const input = await loadPitRace(deps.repo, race);
      if ('skip' in input) throw new NotFoundError('lap data for race', `${raceId} (${input.skip})`);
      const loaded = await deps.models.latest();
      const codes = new Map((await deps.repo.reference.drivers()).map((d) => [d.id, d.code]));
      const drivers = pitTimeline(loaded, input).map((d) => ({ ...d, code: codes.get(d.driverId) ?? null }));
      return { status: 200, headers: { 'Cache-Control': 'public, max-age=300' }, body: { raceId, modelVersion: loaded.version, threshold: loaded.threshold, drivers } };
    }
    if (req.method === 'GET') {
      if (!/^\d+$/.test(raceIdText)) throw new ValidationError('GET /pits/{raceId}?lap=N or /pits/{raceId}/timeline: raceId must be a positive integer');
      const { lap } = storedRaceQuery.parse(req.query);
      const raceId = Number(raceIdText);
      const race = await deps.repo.races.byId(raceId);
      if (!race) throw new NotFoundError('race', raceId);
      const input = await loadPitRace(deps.repo, race);
      if ('skip' in input) throw new NotFoundError('lap data for race', `${raceId} (${input.skip})`);
      if (lap > Math.max(...input.laps.map((l) => l.lap))) {
        throw new ValidationError(`lap ${lap} is beyond the last lap stored for race ${raceId}`);
      }
      const loaded = await deps.models.latest();
      const body: PitForecastResponse = { raceId, lap, modelVersion: loaded.version, drivers: forecastAtLap(loaded, input, lap) };
      return { status: 200, headers: {}, body };
    }
    if (req.method === 'POST') {
      const live = liveRaceRequest.parse(req.body ?? {});
      let circuit: CircuitPitHistory | undefined;
      if (live.raceId !== undefined) {
        const race = await deps.repo.races.byId(live.raceId);
        if (!race) throw new NotFoundError('race', live.raceId);
        circuit = await circuitPitHistory(deps.repo, race);
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
      const body: PitForecastResponse = { raceId: live.raceId ?? null, lap: live.lap, modelVersion: loaded.version, drivers: forecastAtLap(loaded, input, live.lap) };
      return { status: 200, headers: {}, body };
    }
    return { status: 405, headers: { Allow: 'GET, POST' }, body: { error: { code: 'method_not_allowed', message: 'use GET /pits/{raceId}?lap=N or POST a live race' } } };
  } catch (err) {
    const r = toErrorResponse(err, deps.logger);
    return { status: r.status, headers: r.headers, body: r.body };
  }
}
