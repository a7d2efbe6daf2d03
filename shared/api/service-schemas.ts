import { z } from 'zod';

/**
 * Response bodies of the functions beside the read API (pits, ingest, schedule), for the
 * OpenAPI document and the contract checks that parse every response with its schema.
 */

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

export const ingestBody = z.object({
  runs: z.array(
    z.object({
      runId: z.number().int(),
      source: z.string(),
      status: z.enum(['succeeded', 'failed']),
      tables: z.record(z.string(), z.unknown()).describe('per table: rows read, written, quarantined'),
      error: z.string().optional(),
    }),
  ),
});

export const scheduleBody = z.object({
  created: z.array(z.string()),
  updated: z.array(z.string()),
  unchanged: z.array(z.string()),
  deleted: z.array(z.string()),
  races: z.number().int(),
});
