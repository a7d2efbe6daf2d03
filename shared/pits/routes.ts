import { z } from 'zod';
import { decimalInteger, raceIdParams } from '../api/schemas.js';
import { bodyRefusals, defineRoute, refusal, refusals } from '../http/route.js';
import { PITS_BODY_MAX_BYTES } from '../http/body.js';

/**
 * What one live request may hold: a grid is at most 30 cars (20 race today) and no race runs
 * 200 laps, so the body is bounded by 30 × 200 laps; the array bound is checked before any
 * element is parsed, so an oversized body is refused without reading it through.
 */
export const pitLimits = { drivers: 30, laps: 200 } as const;
const maxLapRows = pitLimits.drivers * pitLimits.laps;
const lapNumber = z.number().int().min(1).max(pitLimits.laps);

const compound = z.enum(['SOFT', 'MEDIUM', 'HARD', 'INTERMEDIATE', 'WET', 'UNKNOWN']);
const liveLap = z.object({
  driverId: z.number().int().positive().max(2147483647),
  lap: lapNumber,
  position: z.number().int().min(1).max(40).nullish(),
  timeMs: z.number().int().positive().max(2147483647).nullish(),
  compound: compound.nullish(),
  stint: z.number().int().min(1).max(pitLimits.laps).nullish(),
  tyreLife: z.number().int().min(0).max(pitLimits.laps).nullish(),
  trackStatus: z.string().max(8).regex(/^[0-7]*$/, 'FastF1 track status digits').nullish(),
  pitIn: z.boolean().nullish(),
  pitOut: z.boolean().nullish(),
});
export const liveRaceRequest = z
  .object({
    lap: lapNumber,
    /** The race in the calendar, for its circuit's pit history (optional). */
    raceId: z.number().int().positive().max(2147483647).optional(),
    totalLaps: lapNumber,
    /** driverId → constructorId, for the teammate feature. */
    teams: z
      .record(z.string().regex(/^\d{1,10}$/), z.number().int().positive().max(2147483647))
      .refine((t) => Object.keys(t).length <= pitLimits.drivers, `teams may name at most ${pitLimits.drivers} drivers`)
      .default({}),
    laps: z.array(liveLap).min(1).max(maxLapRows, `laps may hold at most ${maxLapRows} rows (${pitLimits.drivers} drivers × ${pitLimits.laps} laps)`),
  })
  .strict()
  .superRefine((r, ctx) => {
    // Each a single sentence naming the field and the bound, so a caller can fix the request.
    const drivers = new Set(r.laps.map((l) => l.driverId));
    if (drivers.size > pitLimits.drivers) {
      ctx.addIssue({ code: 'custom', path: ['laps'], message: `laps name ${drivers.size} drivers; a race has at most ${pitLimits.drivers}` });
    }
    if (r.lap > r.totalLaps) ctx.addIssue({ code: 'custom', path: ['lap'], message: `lap ${r.lap} is beyond totalLaps ${r.totalLaps}` });
    const beyond = r.laps.find((l) => l.lap > r.totalLaps);
    if (beyond) ctx.addIssue({ code: 'custom', path: ['laps'], message: `driver ${beyond.driverId} has lap ${beyond.lap}, beyond totalLaps ${r.totalLaps}` });
    const seen = new Set<string>();
    for (const l of r.laps) {
      const key = `${l.driverId}/${l.lap}`;
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['laps'], message: `driver ${l.driverId} has lap ${l.lap} more than once; send each lap once` });
        break;
      }
      seen.add(key);
    }
  });
export const storedRaceQuery = z.object({ lap: decimalInteger('lap', 1, pitLimits.laps, '/pits/1121?lap=10') });

const driverName = { driverId: z.number().int(), code: z.string().nullable(), name: z.string() };

export const pitForecastBody = z.object({
  raceId: z.number().int().nullable(),
  lap: z.number().int(),
  modelVersion: z.string(),
  drivers: z.array(
    z.object({
      ...driverName,
      withinLaps: z.object({ '1': z.number(), '3': z.number(), '5': z.number() }).describe('P(the car boxes within 1, 3 and 5 laps)'),
      alarm: z.boolean().describe("P(pit next lap) at or above the model's threshold"),
    }),
  ),
});

export const pitTimelineBody = z.object({
  raceId: z.number().int(),
  modelVersion: z.string(),
  threshold: z.number(),
  totalLaps: z.number().int(),
  drivers: z.array(
    z.object({
      ...driverName,
      lastLap: z.number().int(),
      finish: z.number().int().nullable(),
      status: z.string().nullable(),
      laps: z.array(z.object({ lap: z.number().int(), forecastAfterLap: z.number().int(), pPit: z.number(), pitted: z.boolean() })),
    }),
  ),
});

const noPitModel = { 503: refusal('no pit model is trained yet, or the pit forecasts are busy (Retry-After)') };

/** The pit function's routes (after FUNCTIONS_BASE_URL/pits), declared once. */
export const pitsRoutes = {
  atLap: defineRoute({
    method: 'GET',
    path: '/{raceId}',
    summary: 'Pit forecasts of a stored race at lap N: P(box within 1, 3, 5 laps) from laps 1..N only',
    params: raceIdParams,
    query: storedRaceQuery,
    responses: { 200: { description: 'the forecast at lap N', schema: pitForecastBody }, ...refusals, ...noPitModel },
  }),
  timeline: defineRoute({
    method: 'GET',
    path: '/{raceId}/timeline',
    summary: 'A stored race replayed lap by lap: each car’s pit probability one lap ahead, and the laps it did box',
    params: raceIdParams,
    responses: { 200: { description: 'every lap of every car', schema: pitTimelineBody }, ...refusals, ...noPitModel },
  }),
  live: defineRoute({
    method: 'POST',
    path: '/',
    summary: 'Pit forecasts for a live race from the laps posted so far',
    body: liveRaceRequest,
    maxBytes: PITS_BODY_MAX_BYTES,
    responses: { 200: { description: 'the forecast at the posted lap', schema: pitForecastBody }, ...refusals, ...bodyRefusals, ...noPitModel },
  }),
};
